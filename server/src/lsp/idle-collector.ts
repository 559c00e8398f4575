// Gives memory back once the user stops typing. Every edit builds a program and checker whose garbage
// outlives the young generation, so V8 lets the old generation grow to over a gigabyte before it
// collects it, and an idle process never runs that collection by itself. tsserver does likewise (its
// GcTimer): a full collection a few seconds after the last piece of work, when `global.gc` is exposed
// (the extension starts the server with `--expose-gc`).

/** Quiet time after the last analysis before collecting. */
export const IDLE_COLLECT_MS = 5_000;
/** Growth of the heap since the last collection below which one is not worth its pause. */
const MIN_GROWTH_BYTES = 64 * 2 ** 20;

export interface IdleCollectorOptions {
  /** `global.gc`; without it the collector does nothing. */
  collect?: () => void;
  delayMs?: number;
  heapUsed?: () => number;
  /** Told after each idle collection, for the server's log. */
  collected?: (heapBefore: number, heapAfter: number, pauseMs: number) => void;
}

export class IdleCollector {
  private timer: NodeJS.Timeout | undefined;
  private heapAfterLast = 0;
  private readonly collect: (() => void) | undefined;
  private readonly delayMs: number;
  private readonly heapUsed: () => number;

  constructor(private readonly options: IdleCollectorOptions = {}) {
    this.collect = 'collect' in options ? options.collect : (globalThis as { gc?: () => void }).gc;
    this.delayMs = options.delayMs ?? IDLE_COLLECT_MS;
    this.heapUsed = options.heapUsed ?? (() => process.memoryUsage().heapUsed);
  }

  /** Work happened: collect once none has followed for a while. */
  worked(): void {
    if (!this.collect) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.collectIfGrown(), this.delayMs);
    // Never the reason the process stays alive after exit.
    this.timer.unref();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  /**
   * A full collection, whatever the growth (the memory-usage request); updates the baseline. Twice: the
   * first frees the objects but leaves the old generation's pages sparse (in the benchmark's workspace 420 MB
   * of pages for 250 MB of objects); V8 picks the pages to compact from what the last collection swept, so
   * the second moves the survivors together and gives the emptied pages back. In the 2,000-file workspace
   * the two take about 150 and 210 ms, once per pause in typing.
   */
  collectNow(): boolean {
    if (!this.collect) return false;
    this.collect();
    this.collect();
    this.heapAfterLast = this.heapUsed();
    return true;
  }

  private collectIfGrown(): void {
    this.timer = undefined;
    const before = this.heapUsed();
    if (before - this.heapAfterLast < MIN_GROWTH_BYTES) return;
    const started = performance.now();
    this.collectNow();
    this.options.collected?.(before, this.heapAfterLast, performance.now() - started);
  }
}
