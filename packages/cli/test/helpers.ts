/**
 * Runs the built `rtemem` binary (packages/cli/dist/cli.js) as a child
 * process, as a user would.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));
export const CLI = join(PKG_DIR, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    newest = Math.max(newest, name.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Throws, saying how to build, when dist/cli.js is missing; warns when it
 * looks older than src/ (only a warning: a turbo cache replay or a checkout
 * can leave older mtimes on an up-to-date build).
 */
export function assertBuilt(): void {
  const how = 'build it first: cd /work/main && npx turbo run build --filter=@rtemem/cli (pnpm test does this)';
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: ${how}`);
  if (newestMtime(join(PKG_DIR, 'src')) > statSync(CLI).mtimeMs) console.warn(`warning: ${CLI} is older than src/; if tests fail, ${how}`);
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `rtemem ...args` to completion (bounded by `timeout` ms). */
export function rtemem(args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number; prefix?: string[] } = {}): RunResult {
  const prefix = opts.prefix ?? [];
  const [cmd, ...cmdArgs] = prefix.length > 0 ? [...prefix, process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
  const r = spawnSync(cmd!, cmdArgs, { encoding: 'utf8', timeout: opts.timeout ?? 30_000, env: { ...process.env, ...opts.env } });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A running `rtemem` process whose output is collected as it comes. */
export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) when it ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `rtemem ...args` without waiting for it. */
export function rtememAsync(args: string[]): Running {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Polls `cond` every 20 ms until it is true; throws after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves with `p`, or rejects after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}
