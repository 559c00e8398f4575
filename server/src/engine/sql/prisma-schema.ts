// Prisma's schema.prisma: models become tables (@@map), fields columns (@map); @id, @unique, @@id,
// @@unique and @@index become indexes. Relation fields are not columns; their scalar keys are.
import type { Catalog } from './catalog';

export interface PrismaModel {
  name: string;
  table: string;
  /** 1-based line of `model X {` and of its closing brace. */
  line: number;
  endLine: number;
  /** Field name → column name. */
  columns: Map<string, string>;
}

/** Open parentheses and brackets not yet closed. */
function depthOf(text: string): number {
  let depth = 0;
  for (const char of text) {
    if (char === '(' || char === '[') depth++;
    else if (char === ')' || char === ']') depth--;
  }
  return depth;
}

export function applyPrismaSchema(catalog: Catalog, text: string, file: string): PrismaModel[] {
  const models = parsePrismaModels(text);
  for (const model of models) {
    const table = catalog.defineTable('public', model.table, { file, line: model.line }, model.columns.values());
    // The model is the table's home (where a fix adds @@index), even when prisma/migrations created it first:
    // `prisma migrate dev` writes the SQL from the schema.
    table.source = { file, line: model.line };
    const lines = text.split(/\r?\n/).slice(model.line, model.endLine - 1).map((raw) => stripComment(raw).trim());
    lines.forEach((first, offset) => {
      let line = first;
      // `@@index([tenantId,\n status])`: a block attribute continues until its parentheses close.
      for (let next = offset + 1; line.startsWith('@@') && depthOf(line) > 0 && next < lines.length; next++) line += ` ${lines[next]}`;
      const source = { file, line: model.line + offset + 1 };
      const block = /^@@(id|unique|index)\s*\(\s*(?:fields\s*:\s*)?\[([^\]]*)\]([^)]*)\)?/.exec(line);
      if (block) {
        const columns = block[2].split(',').map((field) => field.trim().replace(/\(.*$/, '')).filter(Boolean).map((field) => model.columns.get(field) ?? field);
        const mapped = /map\s*:\s*"([^"]+)"/.exec(block[3])?.[1] ?? /name\s*:\s*"([^"]+)"/.exec(block[3])?.[1];
        const type = /type\s*:\s*(\w+)/.exec(block[3])?.[1];
        const kind = block[1];
        const name = mapped ?? (kind === 'id' ? `${model.table}_pkey` : `${model.table}_${columns.join('_')}_${kind === 'unique' ? 'key' : 'idx'}`);
        catalog.addIndex(table, { name, keys: columns.map((column) => ({ column })), unique: kind !== 'index', method: (type ?? 'BTree').toLowerCase(), where: [], source });
        return;
      }
      const field = /^(\w+)\s+\w+/.exec(line);
      const column = field && model.columns.get(field[1]);
      if (!column) return;
      if (/@id\b/.test(line)) catalog.addIndex(table, { name: `${model.table}_pkey`, keys: [{ column }], unique: true, method: 'btree', where: [], source });
      if (/@unique\b/.test(line)) catalog.addIndex(table, { name: `${model.table}_${column}_key`, keys: [{ column }], unique: true, method: 'btree', where: [], source });
    });
  }
  return models;
}

export function parsePrismaModels(text: string): PrismaModel[] {
  const lines = text.split(/\r?\n/);
  const modelNames = new Set<string>();
  const typeNames = new Set<string>();
  for (const line of lines) {
    const header = /^\s*(model|enum|type|view)\s+(\w+)\s*\{/.exec(line);
    if (header?.[1] === 'model' || header?.[1] === 'view') modelNames.add(header[2]);
    else if (header) typeNames.add(header[2]);
  }
  const models: PrismaModel[] = [];
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*model\s+(\w+)\s*\{/.exec(lines[i]);
    if (!header) continue;
    const model: PrismaModel = { name: header[1], table: header[1], line: i + 1, endLine: i + 1, columns: new Map() };
    let j = i + 1;
    for (; j < lines.length && !/^\s*\}/.test(lines[j]); j++) {
      const line = stripComment(lines[j]).trim();
      const mappedTable = /^@@map\s*\(\s*(?:name\s*:\s*)?"([^"]+)"/.exec(line);
      if (mappedTable) model.table = mappedTable[1];
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?/.exec(line);
      if (!field || line.startsWith('@@')) continue;
      // A field whose type is another model is a relation, not a column; a list of scalars is a column.
      if (modelNames.has(field[2])) continue;
      if (/@ignore\b/.test(line)) continue;
      const mapped = /@map\s*\(\s*(?:name\s*:\s*)?"([^"]+)"/.exec(line)?.[1];
      model.columns.set(field[1], mapped ?? field[1]);
    }
    model.endLine = j + 1;
    models.push(model);
    i = j;
  }
  return models;
}

function stripComment(line: string): string {
  const index = line.indexOf('//');
  return index < 0 ? line : line.slice(0, index);
}
