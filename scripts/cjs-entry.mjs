#!/usr/bin/env node
/**
 * Run after tsup in a package directory (`tsup && node ../../scripts/cjs-entry.mjs`):
 * writes the CommonJS entry `dist/<name>.cjs` and its types `dist/<name>.d.cts`
 * for every `dist/<name>.d.ts` tsup produced. The .cjs loads the ES module
 * build with require() (see tsup.base.ts for why there is no CJS bundle);
 * the .d.cts is the .d.ts, read by TypeScript as a CommonJS module's types.
 */
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = join(process.cwd(), 'dist');
const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
const entries = readdirSync(dist).filter((f) => f.endsWith('.d.ts')).map((f) => f.slice(0, -'.d.ts'.length));
if (entries.length === 0) throw new Error(`cjs-entry: no .d.ts in ${dist}: run tsup first`);

for (const name of entries) {
  writeFileSync(
    join(dist, `${name}.cjs`),
    `'use strict';
// CommonJS entry of ${pkg.name}: the ES module build itself, loaded with require(),
// so that require() and import share one module instance and run the same code.
try {
  module.exports = require('./${name}.js');
} catch (err) {
  if (err && err.code === 'ERR_REQUIRE_ESM') {
    throw new Error(
      '${pkg.name}: require() of this package needs Node >= 20.19 or >= 22.12 (require of ES modules); ' +
        'this is Node ' + process.version + ': upgrade Node, or load it with import',
      { cause: err },
    );
  }
  throw err;
}
`,
  );
  copyFileSync(join(dist, `${name}.d.ts`), join(dist, `${name}.d.cts`));
}
console.log(`cjs-entry: ${entries.map((n) => `dist/${n}.cjs`).join(', ')} -> ES module build`);
