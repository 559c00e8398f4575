// Which reads fetch data that is the same for many requests: judged by what is read (the table, model,
// collection or URL) and by what it is keyed on. Names are all we have statically, so the vocabulary is
// deliberately narrow: a name that is not clearly configuration, a lookup table, a tenant or the
// authenticated principal is left alone.
import { CallExpression, Node, SyntaxKind, TaggedTemplateExpression } from 'ts-morph';
import type { IoCall } from '../../server/src/engine/io-resolver';
import { symbolOfName } from '../../server/src/engine/provenance';
import { stringValue, decoratorName } from '../../server/src/engine/rule-kit';

/**
 * shared: configuration, flags, lookup tables — the same rows for every request.
 * tenant: tenant, plan, environment records — few distinct keys, read by every request of a tenant.
 * principal: the authenticated user or session, re-loaded by a guard, strategy or middleware.
 */
export type HotCategory = 'shared' | 'tenant' | 'principal';

export interface HotRead {
  category: HotCategory;
  /** The table, model or URL as the user wrote it, for messages (`settings`, `prisma.featureFlag`). */
  target: string;
  /** A short identifier-friendly base for names the fix adds (`settings`, `featureFlags`). */
  base: string;
  /** 'query', 'request': what the read is called in messages. */
  noun: 'query' | 'request';
}

const SHARED_WORDS = new Set([
  'setting', 'settings', 'config', 'configs', 'configuration', 'configurations', 'flag', 'flags', 'toggle', 'toggles',
  'country', 'countries', 'currency', 'currencies', 'locale', 'locales', 'timezone', 'timezones', 'translation', 'translations',
  'lookup', 'lookups', 'permission', 'permissions', 'role', 'roles', 'category', 'categories', 'exchange', 'tax', 'taxes',
]);
const TENANT_WORDS = new Set(['tenant', 'tenants', 'plan', 'plans', 'environment', 'environments']);
const PRINCIPAL_WORDS = new Set(['user', 'users', 'session', 'sessions', 'account', 'accounts', 'principal', 'principals']);
/** Keys that make a read specific to one user or one resource: not the same for many requests. */
const PER_ENTITY_WORDS = new Set(['user', 'customer', 'account', 'member', 'profile', 'cart', 'order', 'session', 'me', 'device', 'post', 'owner', 'author', 'creator']);

/** Chain steps whose arguments filter what is read. */
const FILTER_STEPS = new Set(['where', 'andWhere', 'find', 'aggregate']);
/** Methods whose first argument is SQL text; other SQL-kind calls are query builders. */
const RAW_SQL_METHODS = new Set(['query', 'execute', 'raw', 'unsafe', '$queryRaw', '$queryRawUnsafe']);
const SQL_SELECT = /^\s*(?:\/\*[\s\S]*?\*\/\s*|--[^\n]*\n\s*)*(?:with\b[\s\S]*?\)\s*)?select\b/i;
const SQL_FROM = /\b(?:from|join)\s+((?:"?[\w$]+"?\.)?"?[\w$]+"?)/gi;

/** Lower-case words of an identifier or path: `featureFlags` → feature, flags; `tax_rates` → tax, rates. */
export function wordsOf(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}

/** The category of a read, or undefined when it is not one of the reads this rule is about. */
export function hotReadOf(io: IoCall): HotRead | undefined {
  const subject = subjectOf(io);
  if (!subject) return undefined;
  const words = subject.names.flatMap(wordsOf);
  const keyWords = subject.keys.flatMap(wordsOf);
  const base = baseName(subject.names[subject.names.length - 1] ?? 'hot');
  const noun = io.kind === 'http' ? 'request' : 'query';
  // `user_settings`, `settings WHERE user_id = $1`: one user's data, not the same for every request.
  // Plurals too: `/v1/users/${id}/permissions` is one user's.
  const isPerEntity = (word: string): boolean => PER_ENTITY_WORDS.has(word) || PER_ENTITY_WORDS.has(word.replace(/s$/, ''));
  const perEntity = words.some(isPerEntity) || keyWords.some(isPerEntity);
  if (words.some((word) => SHARED_WORDS.has(word)) && !perEntity) return { category: 'shared', target: subject.display, base, noun };
  if (words.some((word) => TENANT_WORDS.has(word)) && !subject.keyedByUrlParam) return { category: 'tenant', target: subject.display, base, noun };
  if (words.some((word) => PRINCIPAL_WORDS.has(word)) && !words.some((word) => SHARED_WORDS.has(word))) return { category: 'principal', target: subject.display, base, noun };
  return undefined;
}

interface Subject {
  /** Table, model, collection or URL names, most specific last. */
  names: string[];
  /** Names of what the read is filtered by: WHERE columns, `where` keys, argument names. */
  keys: string[];
  display: string;
  /** Keyed by a URL parameter (`req.params.id`, `@Param('id')`): a page about one resource. */
  keyedByUrlParam: boolean;
}

function subjectOf(io: IoCall): Subject | undefined {
  const node = io.node;
  if (io.kind === 'redis') return undefined; // Redis is usually the cache itself
  if (io.kind === 'http') return Node.isCallExpression(node) ? httpSubject(node, io) : undefined;
  const sql = sqlTextOf(node, io);
  if (sql !== undefined) return sqlSubject(sql, node);
  if (Node.isTaggedTemplateExpression(node) || RAW_SQL_METHODS.has(io.method)) return undefined; // SQL we cannot read
  if (io.op !== 'read' && !isBuilderRead(node)) return undefined;
  return modelSubject(node as CallExpression, io);
}

/** The SQL text of a raw query, when it is a literal (a template's static parts joined). */
function sqlTextOf(node: CallExpression | TaggedTemplateExpression, io: IoCall): string | undefined {
  if (Node.isTaggedTemplateExpression(node)) return templateText(node.getTemplate());
  if (io.kind !== 'sql' || !RAW_SQL_METHODS.has(io.method)) return undefined;
  const [first] = node.getArguments();
  if (!first) return undefined;
  if (Node.isTemplateExpression(first) || Node.isNoSubstitutionTemplateLiteral(first) || Node.isStringLiteral(first)) return templateText(first);
  if (Node.isObjectLiteralExpression(first)) {
    // pg's `{ text, values }`
    const text = first.getProperty('text');
    if (text && Node.isPropertyAssignment(text)) {
      const value = text.getInitializer();
      if (value) return templateText(value);
    }
  }
  return undefined;
}

function templateText(node: Node): string | undefined {
  const literal = stringValue(node);
  if (literal !== undefined) return literal;
  if (Node.isTemplateExpression(node)) {
    return [node.getHead().getLiteralText(), ...node.getTemplateSpans().map((span) => `$x${span.getLiteral().getLiteralText()}`)].join('');
  }
  return undefined;
}

function sqlSubject(sql: string, node: CallExpression | TaggedTemplateExpression): Subject | undefined {
  if (!SQL_SELECT.test(sql) || /\bfor\s+(update|share|no\s+key\s+update)\b/i.test(sql)) return undefined;
  const tables: string[] = [];
  for (const match of sql.matchAll(SQL_FROM)) tables.push(match[1].replace(/"/g, '').replace(/^.*\./, ''));
  if (tables.length === 0) return undefined;
  const where = /\bwhere\b([\s\S]*)$/i.exec(sql)?.[1] ?? '';
  const keys = [...where.matchAll(/([\w$.]+)\s*(?:=|\bin\b|\bis\b|<|>)/gi)].map((match) => match[1].replace(/^.*\./, ''));
  const args = Node.isCallExpression(node) ? node.getArguments().slice(1) : [];
  keys.push(...args.flatMap(argumentKeyNames));
  // A lookup table joined to a request-specific one reads request-specific rows: judge by the first table.
  return { names: [tables[0]], keys, display: tables[0], keyedByUrlParam: args.some(isUrlParam) || (Node.isTaggedTemplateExpression(node) && isUrlParam(node.getTemplate())) };
}

/** ORM, document and query-builder reads: the model, repository, collection or table the chain starts from. */
function modelSubject(call: CallExpression, io: IoCall): Subject | undefined {
  const names: string[] = [];
  const callee = call.getExpression();
  const receiver = io.receiver ?? (Node.isPropertyAccessExpression(callee) ? callee.getExpression() : undefined);
  // `manager.find(Setting)`, `em.findOneBy(Currency, …)`: the entity class is the first argument.
  const [first] = call.getArguments();
  if (first && isClassName(first)) names.push(first.getText());
  // Filters further down the chain count as keys: `db.select().from(orders).where(eq(orders.customerId, id)).limit(1)`,
  // `collection('settings').find({ userId }).limit(20).toArray()`.
  const filters: Node[] = [];
  // What named the read, for messages: the innermost call with a name (`collection('settings')`,
  // `getRepository(Setting)`), or Drizzle's table in `.from(currencies)`.
  let namingCall: Node | undefined;
  let tableArgument: Node | undefined;
  // Walk the chain down to its root: `db('settings').where(…).first()`, `ds.getRepository(Setting).find()`.
  for (let node: Node | undefined = callee; node; ) {
    if (Node.isCallExpression(node)) {
      const step = node.getExpression();
      const stepName = Node.isPropertyAccessExpression(step) ? step.getName() : undefined;
      for (const arg of node.getArguments()) {
        const literal = stringValue(arg);
        if (Node.isIdentifier(arg) && stepName === 'from') {
          // Drizzle: .from(currencies). Joined tables are not what the read is about (`sqlSubject` judges by
          // the first table too): one product joined to its category is one product.
          names.unshift(arg.getText());
          tableArgument = arg;
        } else if (stepName?.endsWith('Join')) {
          continue;
        } else if ((literal !== undefined && /^[A-Za-z_][\w.]*$/.test(literal)) || isClassName(arg)) {
          names.unshift(literal ?? arg.getText()); // db('plans'), collection('settings'), getRepository(Setting)
          namingCall = node;
        }
      }
      if (stepName && FILTER_STEPS.has(stepName)) filters.push(...node.getArguments());
      node = step;
    } else if (Node.isPropertyAccessExpression(node)) {
      // Drizzle's relational queries: `db.query.featureFlags.findMany()`.
      const owner = node.getExpression();
      if (Node.isPropertyAccessExpression(owner) && owner.getName() === 'query' && io.library === 'drizzle') names.push(node.getName());
      node = owner;
    } else {
      break;
    }
  }
  let receiverNames = false;
  if (receiver) {
    const text = receiver.getText();
    // `this.settingsRepository`, `prisma.featureFlag`, `Setting`, `db.collection('settings')`
    const last = /([A-Za-z_$][\w$]*)\s*(?:\([^)]*\))?\s*$/.exec(text)?.[1];
    if (last && !/^(this|db|knex|prisma|client|pool|manager|dataSource|repository|repo|collection|model|trx|tx|sql)$/i.test(last)) {
      names.push(last);
      receiverNames = true;
    }
    const typeArgument = repositoryEntity(receiver);
    if (typeArgument) names.push(typeArgument);
  }
  if (names.length === 0) return undefined;
  const args = [...call.getArguments(), ...filters];
  return {
    names,
    keys: args.flatMap(argumentKeyNames),
    // The client is no name for what is read when an argument or the chain named it (`manager.find(Setting)`).
    display: (receiverNames && !Node.isCallExpression(receiver) ? receiver : namingCall ?? tableArgument)?.getText().replace(/\s+/g, '') ?? names[names.length - 1],
    keyedByUrlParam: args.some(isUrlParam),
  };
}

/**
 * An identifier naming an entity: a class (`getRepository(Setting)`) or a value made by a constructor or
 * factory (`new EntitySchema(…)`, `model(…)`), not a constant such as a filter (`ROLE_CHANGES`).
 */
function isClassName(node: Node): boolean {
  if (!Node.isIdentifier(node) || !/^[A-Z][a-z]/.test(node.getText())) return false;
  return Boolean(symbolOfName(node)?.getDeclarations().some((declaration) => {
    if (Node.isClassDeclaration(declaration)) return true;
    const initializer = Node.isVariableDeclaration(declaration) ? declaration.getInitializer() : undefined;
    return initializer !== undefined && (Node.isNewExpression(initializer) || Node.isCallExpression(initializer));
  }));
}

/** `Repository<FeatureFlag>`, `Model<ISetting>`: the entity type names the table when the variable does not. */
function repositoryEntity(receiver: Node): string | undefined {
  try {
    const text = receiver.getType().getText(receiver);
    return /^(?:Repository|TreeRepository|Model|ModelStatic|ModelCtor|Collection)<\s*([A-Za-z_$][\w$]*)/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

/** Knex/Drizzle builders consumed as a promise are reads when the chain has a select-like step or none. */
function isBuilderRead(node: Node): boolean {
  const text = node.getText();
  return !/\.(insert|update|del|delete|increment|decrement|truncate|upsert|merge|onConflict|returning)\s*\(/.test(text);
}

function httpSubject(call: CallExpression, io: IoCall): Subject | undefined {
  const method = (io.command ?? io.method).toUpperCase();
  const args = call.getArguments();
  const [target, init] = args;
  if (!target) return undefined;
  // axios.get / got.get / fetch(url) with no method or GET; got(url) and undici request(url) likewise.
  if (!['GET', 'FETCH', 'REQUEST'].includes(method) && io.method !== 'get') return undefined;
  if (init && Node.isObjectLiteralExpression(init)) {
    const verb = init.getProperty('method');
    if (verb && Node.isPropertyAssignment(verb)) {
      const value = stringValue(verb.getInitializer());
      if (value === undefined || value.toUpperCase() !== 'GET') return undefined;
    }
  }
  let url: Node = target;
  if (Node.isObjectLiteralExpression(target)) {
    // An undici Pool or Client names the path in its options: `pool.request({ path: '/flags', method: 'GET' })`.
    // Any other config object (axios(config)) has too many shapes to judge.
    const path = io.library === 'undici' ? initializerOf(target, 'path') : undefined;
    if (!path || stringValue(initializerOf(target, 'method'))?.toUpperCase() !== 'GET') return undefined;
    url = path;
  }
  const urlText = url.getText();
  // Only the path and the static parts: `${base}/flags` → flags; host names say little.
  const names = [urlText.replace(/^['"`]https?:\/\/[^/'"`]*/, '')];
  return { names, keys: [], display: urlText.length > 60 ? `${urlText.slice(0, 59)}…` : urlText, keyedByUrlParam: isUrlParam(url) };
}

function initializerOf(object: Node, name: string): Node | undefined {
  const property = Node.isObjectLiteralExpression(object) ? object.getProperty(name) : undefined;
  return property && Node.isPropertyAssignment(property) ? property.getInitializer() : undefined;
}

/** Names a read is keyed by: `[tenantId]` → tenantId; `{ where: { userId } }` → userId; `req.params.id` → id. */
function argumentKeyNames(arg: Node): string[] {
  if (Node.isArrayLiteralExpression(arg)) return arg.getElements().flatMap(argumentKeyNames);
  if (Node.isObjectLiteralExpression(arg)) {
    return arg.getProperties().flatMap((property) => {
      if (Node.isPropertyAssignment(property)) {
        const value = property.getInitializer();
        const name = property.getName();
        if (['where', 'filter', 'query', 'select', 'include', 'relations', 'order', 'orderBy'].includes(name)) return value ? argumentKeyNames(value) : [];
        return [name];
      }
      if (Node.isShorthandPropertyAssignment(property)) return [property.getName()];
      return [];
    });
  }
  if (Node.isPropertyAccessExpression(arg)) return [arg.getName()];
  if (Node.isIdentifier(arg)) return [arg.getText()];
  if (Node.isCallExpression(arg)) return arg.getArguments().flatMap(argumentKeyNames); // Number(req.params.id)
  return [];
}

/** Keyed by a route parameter: `req.params.id`, `params.slug`, a `@Param()` argument. */
function isUrlParam(node: Node): boolean {
  if (/\b(req|request)\.params\b|\bparams\.\w+|\bctx\.params\b/.test(node.getText())) return true;
  for (const identifier of node.getDescendantsOfKind(SyntaxKind.Identifier).concat(Node.isIdentifier(node) ? [node] : [])) {
    const declaration = identifier.getSymbol()?.getDeclarations()[0];
    if (declaration && Node.isParameterDeclaration(declaration) && declaration.getDecorators().some((decorator) => decoratorName(decorator) === 'Param')) return true;
  }
  return false;
}

function baseName(name: string): string {
  const words = wordsOf(name.replace(/^['"`]|['"`]$/g, ''));
  const meaningful = words.filter((word) => !/^(api|v\d+|internal|get|find|load|repo|repository|x|https?|www|com|json)$/.test(word));
  const picked = (meaningful.length ? meaningful : words).slice(-2);
  if (picked.length === 0) return 'hot';
  return picked.map((word, index) => (index === 0 ? word : word[0].toUpperCase() + word.slice(1))).join('');
}
