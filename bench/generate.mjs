// Generates a realistic back-end service of about N files: per domain entity a repository (pg), a
// service (loops, Redis, outbound HTTP), routes (Express) and a model file; plus shared clients.
// Deterministic for a given size, so runs are comparable.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const NOUNS = ['order', 'customer', 'product', 'invoice', 'shipment', 'payment', 'coupon', 'review', 'cart', 'warehouse', 'supplier', 'refund', 'tenant', 'account', 'session', 'report', 'ticket', 'message', 'subscription', 'plan'];

function pascal(word) {
  return word[0].toUpperCase() + word.slice(1);
}

function entityName(index) {
  const noun = NOUNS[index % NOUNS.length];
  const generation = Math.floor(index / NOUNS.length);
  return generation === 0 ? noun : `${noun}${generation}`;
}

function model(name) {
  const type = pascal(name);
  return `// ${type} records as the API and the database see them.
export interface ${type} {
  id: number;
  tenantId: number;
  ownerId: number;
  status: 'active' | 'archived' | 'pending';
  title: string;
  amountCents: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ${type}Summary {
  id: number;
  title: string;
  amountCents: number;
}

export function summarize${type}(record: ${type}): ${type}Summary {
  return { id: record.id, title: record.title.trim(), amountCents: Math.max(0, record.amountCents) };
}

export function is${type}Visible(record: ${type}, tenantId: number): boolean {
  return record.tenantId === tenantId && record.status !== 'archived';
}
`;
}

function repository(name) {
  const type = pascal(name);
  const table = `${name}s`;
  return `// Data access for ${table}.
import { pool } from '../lib/db';
import type { ${type} } from '../models/${name}';

const COLUMNS = 'id, tenant_id AS "tenantId", owner_id AS "ownerId", status, title, amount_cents AS "amountCents", created_at AS "createdAt", updated_at AS "updatedAt"';

export async function find${type}(id: number): Promise<${type} | undefined> {
  const { rows } = await pool.query<${type}>(\`SELECT \${COLUMNS} FROM ${table} WHERE id = $1\`, [id]);
  return rows[0];
}

export async function find${type}sByIds(ids: readonly number[]): Promise<Map<number, ${type}>> {
  const { rows } = await pool.query<${type}>(\`SELECT \${COLUMNS} FROM ${table} WHERE id = ANY($1)\`, [ids]);
  return new Map(rows.map((row) => [row.id, row]));
}

export async function list${type}sForOwner(ownerId: number, limit = 50): Promise<${type}[]> {
  const { rows } = await pool.query<${type}>(\`SELECT \${COLUMNS} FROM ${table} WHERE owner_id = $1 ORDER BY created_at DESC LIMIT $2\`, [ownerId, limit]);
  return rows;
}

export async function archive${type}(id: number): Promise<void> {
  await pool.query("UPDATE ${table} SET status = 'archived', updated_at = now() WHERE id = $1", [id]);
}
`;
}

function service(name, index, total) {
  const type = pascal(name);
  const other = entityName((index + 1) % total);
  const otherType = pascal(other);
  const nPlusOne = index % 3 === 0;
  return `// Business logic for ${name}s.
import axios from 'axios';
import { redis } from '../lib/redis';
import { http } from '../lib/http';
import { find${type}, find${type}sByIds, list${type}sForOwner, archive${type} } from '../repositories/${name}-repository';
import { find${otherType} } from '../repositories/${other}-repository';
import { summarize${type}, is${type}Visible, type ${type}, type ${type}Summary } from '../models/${name}';

const CACHE_TTL_SECONDS = 60;

export async function get${type}Cached(id: number): Promise<${type} | undefined> {
  const key = \`${name}:\${id}\`;
  const cached = await redis.get(key);
  if (cached) return JSON.parse(cached) as ${type};
  const fresh = await find${type}(id);
  if (fresh) await redis.set(key, JSON.stringify(fresh), 'EX', CACHE_TTL_SECONDS);
  return fresh;
}

export async function summaries(ids: number[], tenantId: number): Promise<${type}Summary[]> {
  ${nPlusOne
    ? `const result: ${type}Summary[] = [];
  for (const id of ids) {
    const record = await find${type}(id);
    if (record && is${type}Visible(record, tenantId)) result.push(summarize${type}(record));
  }
  return result;`
    : `const records = await find${type}sByIds(ids);
  return ids.flatMap((id) => {
    const record = records.get(id);
    return record && is${type}Visible(record, tenantId) ? [summarize${type}(record)] : [];
  });`}
}

export async function withRelated(ownerId: number): Promise<{ id: number; related: boolean }[]> {
  const records = await list${type}sForOwner(ownerId);
  return Promise.all(records.map(async (record) => ({ id: record.id, related: Boolean(await find${otherType}(record.ownerId)) })));
}

export async function retryArchive(id: number, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await archive${type}(id);
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
}

export async function notify${type}Archived(id: number): Promise<void> {
  ${index % 4 === 0 ? `await axios.post(\`https://hooks.example.com/${name}s/\${id}/archived\`, { id });` : `await http.post(\`/${name}s/\${id}/archived\`, { id });`}
}

export function totalCents(records: readonly ${type}[]): number {
  let total = 0;
  for (const record of records) total += record.amountCents;
  return total;
}
`;
}

function routes(name) {
  const type = pascal(name);
  return `// HTTP routes for ${name}s.
import { Router } from 'express';
import { get${type}Cached, summaries, withRelated, retryArchive, notify${type}Archived } from '../services/${name}-service';

export const ${name}Router = Router();

${name}Router.get('/${name}s/:id', async (req, res) => {
  const record = await get${type}Cached(Number(req.params.id));
  if (!record) {
    res.status(404).end();
    return;
  }
  res.json(record);
});

${name}Router.get('/${name}s', async (req, res) => {
  const ids = String(req.query.ids ?? '').split(',').filter(Boolean).map(Number);
  res.json(await summaries(ids, Number(req.header('x-tenant-id'))));
});

${name}Router.get('/owners/:id/${name}s', async (req, res) => {
  res.json(await withRelated(Number(req.params.id)));
});

${name}Router.post('/${name}s/:id/archive', async (req, res) => {
  const id = Number(req.params.id);
  await retryArchive(id);
  await notify${type}Archived(id);
  res.status(204).end();
});
`;
}

const SHARED = {
  'src/lib/db.ts': `import { Pool } from 'pg';\n\nexport const pool = new Pool({ max: 20, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 2_000 });\n`,
  'src/lib/redis.ts': `import Redis from 'ioredis';\n\nexport const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { commandTimeout: 1_000 });\n`,
  'src/lib/http.ts': `import axios from 'axios';\n\nexport const http = axios.create({ baseURL: process.env.PARTNER_URL, timeout: 3_000 });\n`,
};

/** Writes a project of about `files` files into `dir`; returns the number of source files written. */
export function generateProject(dir, files) {
  rmSync(dir, { recursive: true, force: true });
  const entities = Math.max(1, Math.round((files - Object.keys(SHARED).length - 1) / 4));
  const out = { ...SHARED };
  const imports = [];
  const uses = [];
  for (let i = 0; i < entities; i++) {
    const name = entityName(i);
    out[`src/models/${name}.ts`] = model(name);
    out[`src/repositories/${name}-repository.ts`] = repository(name);
    out[`src/services/${name}-service.ts`] = service(name, i, entities);
    out[`src/routes/${name}-routes.ts`] = routes(name);
    imports.push(`import { ${name}Router } from './routes/${name}-routes';`);
    uses.push(`app.use(${name}Router);`);
  }
  out['src/app.ts'] = `import express from 'express';\n${imports.join('\n')}\n\nexport const app = express();\napp.use(express.json());\n${uses.join('\n')}\n`;
  // A service is a package: its own package.json scopes its files (CommonJS here), as in any real project,
  // instead of leaving TypeScript to walk up to whatever package.json lies above the bench folder.
  out['package.json'] = JSON.stringify(
    {
      name: 'generated-service',
      version: '1.0.0',
      private: true,
      type: 'commonjs',
      scripts: { build: 'tsc -p .', start: 'node dist/app.js' },
      dependencies: { axios: '^1.21.1', express: '^5.3.0', ioredis: '^5.11.1', pg: '^8.23.1' },
      devDependencies: { '@types/express': '^5.0.6', '@types/node': '^20.19.43', '@types/pg': '^8.23.1', typescript: '^6.0.3' },
    },
    null,
    2,
  );
  out['tsconfig.json'] = JSON.stringify(
    { compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, esModuleInterop: true, skipLibCheck: true, types: ['node'] }, include: ['src/**/*.ts'] },
    null,
    2,
  );
  for (const [name, text] of Object.entries(out)) {
    const full = path.join(dir, name);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return Object.keys(out).filter((name) => name.endsWith('.ts')).length;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, size] = process.argv.slice(2);
  console.log(generateProject(path.resolve(dir), Number(size ?? 100)));
}
