// The declarative table of which calls are I/O. Keyed by the package that declares the receiver's type
// (resolved through the type checker) or, when types do not resolve, by the import it came from.

export type IoKind = 'sql' | 'orm' | 'document' | 'redis' | 'http';
export type IoOp = 'read' | 'write' | 'other';

export interface IoMethod {
  kind: IoKind;
  op: IoOp;
  /** Redis command name or HTTP verb; 'dynamic' means it is the call's first argument. */
  command?: string;
  /** One call already serves many keys or rows (MGET, a pipeline exec, insertMany). */
  batched?: boolean;
}

export interface IoClientSpec {
  /** Stable library id used in messages and fixes. */
  library: string;
  /** Packages (as found under node_modules, or as import specifiers) that identify the receiver. */
  modules: string[];
  /** Names of the receiver's type when the type checker resolves it; omitted means any type of the modules. */
  receiverTypes?: string[];
  /** The receiver is a property of an instance of one of these types (Prisma model delegates). */
  memberOfTypes?: string[];
  /**
   * The client may be generated into the project (Prisma 7 writes it to a folder of the project's own):
   * a receiver declared in project code whose type bears one of `receiverTypes` is this client too.
   */
  generatedIntoProject?: boolean;
  methods: Record<string, IoMethod>;
  /** The receiver itself may be called (`axios(config)`, `got(url)`, `knex('users')`). */
  callable?: IoMethod;
  /**
   * The library's query builders are thenables: the end of a call chain rooted at this client is I/O
   * when nothing chains on it (`await db('users').where(...)`, `await db.select().from(t)`).
   */
  thenableBuilder?: IoMethod;
  /** Receivers of these types only queue commands (pipelines, MULTI); their calls are not I/O. */
  queues?: boolean;
  /**
   * A call builds a query that runs only when awaited or then-ed (`knex.raw()`, a postgres.js `sql` piece,
   * Drizzle's `db.execute()`): built into an array or another query, it sends nothing.
   */
  lazy?: boolean;
}

export interface IoGlobalSpec {
  library: string;
  /** Global function name (`fetch`). A local declaration of the same name shadows it. */
  name: string;
  /** Packages whose declaration of the global counts (DOM lib, @types/node, undici-types). */
  declaredIn: string[];
  method: IoMethod;
}

const read = (kind: IoKind, extra: Partial<IoMethod> = {}): IoMethod => ({ kind, op: 'read', ...extra });
const write = (kind: IoKind, extra: Partial<IoMethod> = {}): IoMethod => ({ kind, op: 'write', ...extra });
const other = (kind: IoKind, extra: Partial<IoMethod> = {}): IoMethod => ({ kind, op: 'other', ...extra });

function methods(names: string[], method: IoMethod): Record<string, IoMethod> {
  return Object.fromEntries(names.map((name) => [name, method]));
}

/**
 * Redis commands we model: [COMMAND, node-redis camelCase, op, batched].
 * ioredis names are the lower-cased command; node-redis accepts camelCase and UPPERCASE.
 */
const REDIS_COMMANDS: [string, string, IoOp, boolean?][] = [
  ['GET', 'get', 'read'],
  ['MGET', 'mGet', 'read', true],
  ['SET', 'set', 'write'],
  ['MSET', 'mSet', 'write', true],
  ['SETEX', 'setEx', 'write'],
  ['PSETEX', 'pSetEx', 'write'],
  ['SETNX', 'setNX', 'write'],
  ['GETDEL', 'getDel', 'write'],
  ['GETEX', 'getEx', 'read'],
  ['DEL', 'del', 'write'],
  ['UNLINK', 'unlink', 'write'],
  ['EXISTS', 'exists', 'read'],
  ['EXPIRE', 'expire', 'write'],
  ['PEXPIRE', 'pExpire', 'write'],
  ['TTL', 'ttl', 'read'],
  ['PTTL', 'pTTL', 'read'],
  ['INCR', 'incr', 'write'],
  ['INCRBY', 'incrBy', 'write'],
  ['DECR', 'decr', 'write'],
  ['HGET', 'hGet', 'read'],
  ['HMGET', 'hmGet', 'read', true],
  ['HGETALL', 'hGetAll', 'read'],
  ['HSET', 'hSet', 'write'],
  ['HDEL', 'hDel', 'write'],
  ['HINCRBY', 'hIncrBy', 'write'],
  ['HKEYS', 'hKeys', 'read'],
  ['HVALS', 'hVals', 'read'],
  ['HLEN', 'hLen', 'read'],
  ['HSCAN', 'hScan', 'read'],
  ['SADD', 'sAdd', 'write'],
  ['SREM', 'sRem', 'write'],
  ['SMEMBERS', 'sMembers', 'read'],
  ['SISMEMBER', 'sIsMember', 'read'],
  ['SCARD', 'sCard', 'read'],
  ['SSCAN', 'sScan', 'read'],
  ['SUNION', 'sUnion', 'read'],
  ['SINTER', 'sInter', 'read'],
  ['ZADD', 'zAdd', 'write'],
  ['ZREM', 'zRem', 'write'],
  ['ZRANGE', 'zRange', 'read'],
  ['ZREVRANGE', 'zRevRange', 'read'],
  ['ZRANGEBYSCORE', 'zRangeByScore', 'read'],
  ['ZSCORE', 'zScore', 'read'],
  ['ZCARD', 'zCard', 'read'],
  ['ZSCAN', 'zScan', 'read'],
  ['ZINCRBY', 'zIncrBy', 'write'],
  ['LPUSH', 'lPush', 'write'],
  ['RPUSH', 'rPush', 'write'],
  ['LPOP', 'lPop', 'write'],
  ['RPOP', 'rPop', 'write'],
  ['LRANGE', 'lRange', 'read'],
  ['LLEN', 'lLen', 'read'],
  ['LTRIM', 'lTrim', 'write'],
  ['BLPOP', 'blPop', 'write'],
  ['BRPOP', 'brPop', 'write'],
  ['KEYS', 'keys', 'read'],
  ['SCAN', 'scan', 'read'],
  ['SORT', 'sort', 'read'],
  ['FLUSHALL', 'flushAll', 'write'],
  ['FLUSHDB', 'flushDb', 'write'],
  ['PUBLISH', 'publish', 'write'],
  ['EVAL', 'eval', 'other'],
  ['EVALSHA', 'evalSha', 'other'],
  ['XADD', 'xAdd', 'write'],
  ['XRANGE', 'xRange', 'read'],
  ['XREAD', 'xRead', 'read'],
  ['PFADD', 'pfAdd', 'write'],
  ['PFCOUNT', 'pfCount', 'read'],
];

function redisMethods(style: 'ioredis' | 'node-redis'): Record<string, IoMethod> {
  const table: Record<string, IoMethod> = {};
  for (const [command, camel, op, batched] of REDIS_COMMANDS) {
    const method: IoMethod = { kind: 'redis', op, command, ...(batched ? { batched } : {}) };
    if (style === 'ioredis') {
      table[command.toLowerCase()] = method;
      // `keysBuffer`, `hgetallBuffer`: the same command, answered as Buffers.
      if (op === 'read') table[`${command.toLowerCase()}Buffer`] = method;
    } else {
      table[camel] = method;
      table[command] = method;
    }
  }
  // node-redis: ZRANGE … WITHSCORES has a method of its own.
  if (style === 'node-redis') table.zRangeWithScores = table.zRange;
  table[style === 'ioredis' ? 'call' : 'sendCommand'] = { kind: 'redis', op: 'other', command: 'dynamic' };
  if (style === 'ioredis') table.exec = { kind: 'redis', op: 'other', batched: true };
  return table;
}

const HTTP_VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request'];
const httpVerbs = (verbs: readonly string[] = HTTP_VERBS): Record<string, IoMethod> =>
  Object.fromEntries(verbs.map((verb) => [verb, { kind: 'http' as const, op: verb === 'get' || verb === 'head' ? 'read' as const : 'other' as const, command: verb.toUpperCase() }]));

export const IO_CLIENTS: IoClientSpec[] = [
  // Redis
  {
    library: 'ioredis',
    modules: ['ioredis'],
    receiverTypes: ['Redis', 'Cluster', 'RedisCommander', 'Commander'],
    methods: redisMethods('ioredis'),
  },
  {
    library: 'ioredis',
    modules: ['ioredis'],
    receiverTypes: ['Pipeline', 'ChainableCommander'],
    methods: { exec: { kind: 'redis', op: 'other', batched: true } },
    queues: true,
  },
  {
    library: 'node-redis',
    modules: ['redis', '@redis/client'],
    receiverTypes: ['RedisClientType', 'RedisClusterType', 'RedisClient', 'RedisCluster', 'RedisClientPoolType', 'RedisSentinelType'],
    methods: redisMethods('node-redis'),
  },
  {
    library: 'node-redis',
    modules: ['redis', '@redis/client'],
    receiverTypes: ['RedisClientMultiCommandType', 'RedisClientMultiCommandTyped', 'RedisClientMultiCommand', 'RedisClusterMultiCommandType', 'RedisClusterMultiCommand', 'RedisSentinelMultiCommandType', 'RedisSentinelMultiCommand'],
    methods: { exec: { kind: 'redis', op: 'other', batched: true }, execAsPipeline: { kind: 'redis', op: 'other', batched: true } },
    queues: true,
  },
  // SQL drivers
  {
    library: 'pg',
    modules: ['pg', 'pg-pool'],
    methods: { query: other('sql', { command: 'dynamic' }) },
  },
  {
    library: 'mysql2',
    modules: ['mysql2', 'mysql', 'mysql2/promise'],
    methods: { query: other('sql', { command: 'dynamic' }), execute: other('sql', { command: 'dynamic' }) },
  },
  {
    library: 'knex',
    modules: ['knex'],
    methods: { raw: other('sql', { command: 'dynamic' }) },
    callable: undefined,
    thenableBuilder: other('sql'),
    lazy: true,
  },
  {
    library: 'drizzle',
    modules: ['drizzle-orm'],
    methods: { execute: other('sql', { command: 'dynamic' }) },
    thenableBuilder: other('sql'),
    lazy: true,
  },
  {
    // Slonik runs its `sql` tag's queries through the pool's (or a connection's) query methods.
    library: 'slonik',
    modules: ['slonik'],
    methods: methods(['query', 'any', 'anyFirst', 'many', 'manyFirst', 'one', 'oneFirst', 'maybeOne', 'maybeOneFirst', 'exists', 'stream'], other('sql', { command: 'dynamic' })),
  },
  {
    library: 'postgres',
    modules: ['postgres'],
    methods: { unsafe: other('sql', { command: 'dynamic' }) },
    callable: other('sql', { command: 'dynamic' }),
    lazy: true,
  },
  // ORMs
  {
    library: 'prisma',
    modules: ['@prisma/client', '.prisma/client'],
    memberOfTypes: ['PrismaClient'],
    methods: {
      ...methods(['findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'count', 'aggregate', 'groupBy'], read('orm')),
      ...methods(['findMany'], read('orm', { batched: true })),
      ...methods(['create', 'update', 'upsert', 'delete'], write('orm')),
      ...methods(['createMany', 'createManyAndReturn', 'updateMany', 'deleteMany'], write('orm', { batched: true })),
    },
  },
  {
    library: 'prisma',
    modules: ['@prisma/client', '.prisma/client'],
    receiverTypes: ['PrismaClient'],
    generatedIntoProject: true,
    methods: methods(['$queryRaw', '$queryRawUnsafe', '$executeRaw', '$executeRawUnsafe'], other('sql', { command: 'dynamic' })),
  },
  {
    library: 'typeorm',
    modules: ['typeorm'],
    receiverTypes: ['Repository', 'EntityManager', 'TreeRepository', 'MongoRepository', 'DataSource', 'QueryRunner'],
    methods: {
      ...methods(['findOne', 'findOneBy', 'findOneOrFail', 'findOneByOrFail', 'count', 'countBy', 'exists', 'existsBy', 'sum', 'average', 'minimum', 'maximum'], read('orm')),
      ...methods(['find', 'findBy', 'findAndCount', 'findAndCountBy'], read('orm', { batched: true })),
      ...methods(['save', 'insert', 'update', 'upsert', 'delete', 'remove', 'softDelete', 'restore', 'increment', 'decrement'], write('orm')),
      query: other('sql', { command: 'dynamic' }),
    },
  },
  {
    library: 'typeorm',
    modules: ['typeorm'],
    receiverTypes: ['SelectQueryBuilder', 'UpdateQueryBuilder', 'DeleteQueryBuilder', 'InsertQueryBuilder', 'QueryBuilder'],
    methods: {
      ...methods(['getOne', 'getOneOrFail', 'getRawOne', 'getCount', 'getExists'], read('orm')),
      ...methods(['getMany', 'getRawMany', 'getManyAndCount', 'getRawAndEntities'], read('orm', { batched: true })),
      execute: other('orm'),
    },
  },
  {
    library: 'sequelize',
    modules: ['sequelize', 'sequelize-typescript'],
    receiverTypes: ['Model', 'ModelStatic', 'ModelCtor', 'ModelType', 'Sequelize'],
    methods: {
      ...methods(['findOne', 'findByPk', 'findOrCreate', 'count', 'max', 'min', 'sum'], read('orm')),
      ...methods(['findAll', 'findAndCountAll'], read('orm', { batched: true })),
      ...methods(['create', 'update', 'destroy', 'upsert', 'increment', 'decrement', 'save', 'reload', 'restore'], write('orm')),
      bulkCreate: write('orm', { batched: true }),
      query: other('sql', { command: 'dynamic' }),
    },
  },
  {
    library: 'mongoose',
    modules: ['mongoose'],
    receiverTypes: ['Model', 'Document', 'Query', 'Aggregate', 'Connection'],
    methods: {
      ...methods(['findOne', 'findById', 'exists', 'countDocuments', 'estimatedDocumentCount', 'distinct'], read('document')),
      ...methods(['find', 'aggregate'], read('document', { batched: true })),
      ...methods(['create', 'updateOne', 'findOneAndUpdate', 'findByIdAndUpdate', 'findOneAndDelete', 'findByIdAndDelete', 'deleteOne', 'replaceOne', 'save'], write('document')),
      ...methods(['insertMany', 'updateMany', 'deleteMany', 'bulkWrite'], write('document', { batched: true })),
    },
  },
  {
    library: 'mongodb',
    modules: ['mongodb'],
    receiverTypes: ['Collection', 'Db', 'FindCursor', 'AggregationCursor'],
    methods: {
      ...methods(['findOne', 'countDocuments', 'estimatedDocumentCount', 'distinct'], read('document')),
      // find() and aggregate() only build a cursor; reading it all is the query (`find(q).sort(s).toArray()`).
      // next()/hasNext() step through one cursor's batches: a walk, not a query per call.
      ...methods(['toArray'], read('document', { batched: true })),
      ...methods(['insertOne', 'updateOne', 'deleteOne', 'replaceOne', 'findOneAndUpdate', 'findOneAndDelete', 'findOneAndReplace'], write('document')),
      ...methods(['insertMany', 'updateMany', 'deleteMany', 'bulkWrite'], write('document', { batched: true })),
    },
  },
  // HTTP clients
  {
    library: 'axios',
    modules: ['axios'],
    methods: httpVerbs(),
    callable: other('http', { command: 'REQUEST' }),
  },
  {
    library: 'got',
    modules: ['got'],
    // With their verbs, as axios's: a GET reads (and can be hoisted or cached), a POST per item is a write.
    methods: httpVerbs(['get', 'post', 'put', 'patch', 'delete', 'head']),
    callable: other('http', { command: 'REQUEST' }),
  },
  {
    library: 'undici',
    modules: ['undici'],
    receiverTypes: ['Client', 'Pool', 'Agent', 'Dispatcher', 'BalancedPool'],
    methods: methods(['request', 'stream'], other('http')),
  },
  {
    library: 'node-fetch',
    modules: ['node-fetch'],
    methods: {},
    callable: other('http', { command: 'FETCH' }),
  },
];

/** Exported functions that perform I/O when called: [library, module, export name]. */
export interface IoFunctionSpec {
  library: string;
  modules: string[];
  exportName: string;
  method: IoMethod;
}

export const IO_FUNCTIONS: IoFunctionSpec[] = [
  { library: 'undici', modules: ['undici'], exportName: 'request', method: other('http', { command: 'REQUEST' }) },
  { library: 'undici', modules: ['undici'], exportName: 'fetch', method: other('http', { command: 'FETCH' }) },
  { library: 'undici', modules: ['undici'], exportName: 'stream', method: other('http', { command: 'REQUEST' }) },
  { library: 'node-fetch', modules: ['node-fetch'], exportName: 'default', method: other('http', { command: 'FETCH' }) },
  { library: 'node-http', modules: ['http', 'https', 'node:http', 'node:https'], exportName: 'request', method: other('http', { command: 'REQUEST' }) },
  { library: 'node-http', modules: ['http', 'https', 'node:http', 'node:https'], exportName: 'get', method: other('http', { command: 'GET' }) },
  { library: 'axios', modules: ['axios'], exportName: 'default', method: other('http', { command: 'REQUEST' }) },
  { library: 'got', modules: ['got'], exportName: 'default', method: other('http', { command: 'REQUEST' }) },
];

export const IO_GLOBALS: IoGlobalSpec[] = [
  { library: 'fetch', name: 'fetch', declaredIn: ['lib', '@types/node', 'undici-types'], method: other('http', { command: 'FETCH' }) },
];

/** Module specifiers that name the same package as one in the table. */
export const MODULE_ALIASES: Record<string, string> = {
  'node:http': 'http',
  'node:https': 'https',
  'mysql2/promise': 'mysql2',
  '@redis/client': 'redis',
  '.prisma/client': '@prisma/client',
  'undici-types': 'undici-types',
};

/** Every method or function name in the table: the syntactic pre-filter before any type query. */
export const IO_NAMES: ReadonlySet<string> = new Set([
  ...IO_CLIENTS.flatMap((spec) => Object.keys(spec.methods)),
  ...IO_FUNCTIONS.map((spec) => spec.exportName),
  ...IO_GLOBALS.map((spec) => spec.name),
]);
