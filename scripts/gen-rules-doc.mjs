// Writes docs/rules.md from the rule registry (run after `tsc -b`: it reads the compiled registry).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { RULES } = require(join(root, 'out/rules/index.js'));
const { renderRulesDoc, RULES_DOC_PATH } = require(join(root, 'out/server/src/docs/rules-doc.js'));

writeFileSync(join(root, RULES_DOC_PATH), renderRulesDoc(RULES.map((rule) => rule.meta)));
console.log(`wrote ${RULES_DOC_PATH} (${RULES.length} rules)`);
