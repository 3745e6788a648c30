/**
 * One suite (or one backend of it) in a process of its own, started by
 * run.mjs as `node --expose-gc --allow-natives-syntax suite-child.mjs <suite file> <reps> [backend]`:
 * runs it and sends the result to the parent over IPC. One process per
 * backend gives each backend a fresh JIT, as an application with one EAL has.
 */
import { pathToFileURL } from 'node:url';
import { runSuite } from './runner.mjs';

const [file, reps, backend] = process.argv.slice(2);
try {
  const suite = (await import(pathToFileURL(file).href)).default;
  const result = await runSuite(suite, { reps: Number(reps), log: (line) => console.log(line), only: backend || null });
  await new Promise((resolve) => process.send({ type: 'result', result }, resolve));
  process.exit(0);
} catch (e) {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
}
