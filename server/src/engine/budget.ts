// The per-file analysis budget. Rules are synchronous, so the engine cannot interrupt one from outside;
// instead the expensive engine services rules call for every candidate (I/O classification, function
// summaries) check the deadline and throw, and the engine's per-rule boundary turns that into a finding.
// One deadline at a time is enough: analysis of one file never nests inside another's.

export class BudgetExceeded extends Error {
  constructor(readonly budgetMs: number) {
    super(`analysis budget of ${budgetMs} ms used up`);
    this.name = 'BudgetExceeded';
  }
}

let deadline = Infinity;
let budget = 0;

/** Runs `fn` with a deadline `budgetMs` from now; nested calls keep the outer, earlier deadline. */
export function withBudget<T>(budgetMs: number, fn: () => T): T {
  const outerDeadline = deadline;
  const outerBudget = budget;
  if (Date.now() + budgetMs < deadline) {
    deadline = Date.now() + budgetMs;
    budget = budgetMs;
  }
  try {
    return fn();
  } finally {
    deadline = outerDeadline;
    budget = outerBudget;
  }
}

/** Throws BudgetExceeded once the current file's budget is used up. */
export function checkBudget(): void {
  if (deadline !== Infinity && Date.now() > deadline) throw new BudgetExceeded(budget);
}

let outside = 0;

/**
 * Project-wide work done on behalf of every file (the request-path model over all files): like building
 * the program, it is not charged to the file that happens to trigger it. The deadline moves by the time spent.
 */
export function outsideBudget<T>(fn: () => T): T {
  const started = Date.now();
  const savedDeadline = deadline;
  deadline = Infinity;
  try {
    return fn();
  } finally {
    const spent = Date.now() - started;
    deadline = savedDeadline === Infinity ? Infinity : savedDeadline + spent;
    outside += spent;
  }
}

/** Milliseconds spent in outsideBudget so far: the engine leaves them out of a file's own time. */
export function timeOutsideBudget(): number {
  return outside;
}
