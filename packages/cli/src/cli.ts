#!/usr/bin/env node
/**
 * The `rtemem` executable: runs {@link main} on the process's arguments and
 * exits with its code (0 ok, 1 failure, 2 usage error).
 */
import { main } from './main.js';

// `rtemem info | head`: a closed pipe ends the output, not the program with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`rtemem: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
