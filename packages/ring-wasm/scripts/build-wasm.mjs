// Builds wasm/ring.wasm and wasm/ring-strict.wasm from scripts/ring.wat.mjs
// with wabt (a devDependency: nothing is compiled at install).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { ringWat } from './ring.wat.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The layout constants of @rtemem/ring's src/layout.ts (the one layout of both implementations), by name (its plain `export const X = n;` lines). */
export function layoutConstants() {
  const text = readFileSync(join(root, '..', 'ring', 'src', 'layout.ts'), 'utf8');
  const out = {};
  for (const m of text.matchAll(/^export const (\w+) = (0x[0-9a-f]+|\d+);/gim)) out[m[1]] = Number(m[2]);
  return out;
}

const wabt = await wabtInit();
const L = { ...layoutConstants(), ENOBUFS: 105 };
mkdirSync(join(root, 'wasm'), { recursive: true });
for (const [file, strict] of [['ring.wasm', false], ['ring-strict.wasm', true]]) {
  const text = ringWat(L, strict);
  const mod = wabt.parseWat(file.replace('.wasm', '.wat'), text, { threads: true });
  // V8 validates (wabt's validate() ignores the threads feature).

  const { buffer } = mod.toBinary({});
  new WebAssembly.Module(buffer);
  writeFileSync(join(root, 'wasm', file), buffer);
  writeFileSync(join(root, 'wasm', file.replace('.wasm', '.wat')), text);
  mod.destroy();
  console.log(`wasm/${file}: ${buffer.length} bytes`);
}
