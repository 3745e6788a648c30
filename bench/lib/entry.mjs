/**
 * How a suite loads the rtemem packages: through `import` (their ES module
 * entry) or through `require` (their CommonJS entry), as the runner asks
 * with RTEMEM_BENCH_ENTRY=esm|cjs. The runner runs each suite once per
 * entry, each in its own process, so CommonJS users' figures are measured
 * as such, not assumed.
 *
 *   const { Eal, Ring } = await rtemem('@rtemem/ring');
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The entry this process uses: 'esm' (default) or 'cjs'. */
export const ENTRY = process.env.RTEMEM_BENCH_ENTRY === 'cjs' ? 'cjs' : 'esm';

/** The entries there are, in the order the runner runs them. */
export const ENTRIES = ['esm', 'cjs'];

/** Package `name`, loaded through this process's entry. */
export async function rtemem(name) {
  return ENTRY === 'cjs' ? require(name) : import(name);
}
