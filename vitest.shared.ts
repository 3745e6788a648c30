import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/**
 * Tests import every @rtemem package from its TypeScript source; worker
 * threads and child processes (plain .mjs scripts) load the built dist.
 */
export const alias = readdirSync(join(root, 'packages')).map((dir) => ({
  // Exact package names only: subpaths such as @rtemem/testkit/peer resolve normally.
  find: new RegExp(`^@rtemem/${dir}$`),
  replacement: join(root, 'packages', dir, 'src', 'index.ts'),
}));

export const testOptions = {
  // Test files share hugepages, lcores and CPU: run them one at a time so a
  // count read in one file is not changed by another.
  fileParallelism: false,
  testTimeout: 120_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
};
