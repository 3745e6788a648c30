#!/usr/bin/env node
// Runs the soak test alone: `pnpm --filter @rtemem/reliability soak` (60 s,
// as in CI), `... soak --long` (10 minutes), `... soak --seconds N`, and
// `--backend hugetlbfs` to run it on hugepages.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    long: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    backend: { type: 'string', default: 'anonymous' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: soak [--long | --seconds N] [--backend anonymous|hugetlbfs]\n  --long       600 s instead of 60 s\n  --seconds N  any bound (>= 10)');
  process.exit(0);
}
const seconds = values.seconds !== undefined ? Number(values.seconds) : values.long ? 600 : 60;
if (!Number.isInteger(seconds) || seconds < 10) {
  console.error(`soak: --seconds wants a whole number of seconds, at least 10 (got ${values.seconds})`);
  process.exit(2);
}
if (values.backend !== 'anonymous' && values.backend !== 'hugetlbfs') {
  console.error(`soak: --backend is anonymous or hugetlbfs (got ${values.backend})`);
  process.exit(2);
}
const cwd = fileURLToPath(new URL('..', import.meta.url));
const r = spawnSync('npx', ['vitest', 'run', 'test/soak.test.ts'], {
  cwd,
  stdio: 'inherit',
  env: { ...process.env, RTEMEM_SOAK_SECONDS: String(seconds), RTEMEM_SOAK_BACKEND: values.backend },
});
process.exit(r.status ?? 1);
