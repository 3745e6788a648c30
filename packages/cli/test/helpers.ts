/**
 * Runs the built `rtemem` binary (packages/cli/dist/cli.js) as a child
 * process, as a user would.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** Runs `rtemem ...args` to completion (bounded by `timeout` ms); `cli` runs another copy of dist/cli.js. */
export function rtemem(args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number; prefix?: string[]; cli?: string } = {}): RunResult {
  const prefix = opts.prefix ?? [];
  const cli = opts.cli ?? CLI;
  const [cmd, ...cmdArgs] = prefix.length > 0 ? [...prefix, process.execPath, cli, ...args] : [process.execPath, cli, ...args];
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

/**
 * A copy of the built CLI as npm would install it (node_modules/@rtemem/*
 * with package.json and dist, the addon, and the packages they need at run
 * time) in a new temporary folder that every user can read: tests that run
 * the CLI as another user cannot read a checkout inside a private folder
 * (root's home, a mode-0700 temp dir). Returns the copy's dist/cli.js and a
 * function that removes the copy.
 */
export function installedCopy(): { cli: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'rtemem-cli-copy-'));
  const modules = join(root, 'node_modules');
  const seen = new Set<string>();
  const copyPackage = (name: string, fromDir: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const pkgDir = realpathSync(fromDir);
    const json = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const to = join(modules, name);
    if (name.startsWith('@rtemem/')) {
      // What a published package holds at run time: no sources, tests or node_modules.
      mkdirSync(to, { recursive: true });
      cpSync(join(pkgDir, 'package.json'), join(to, 'package.json'));
      for (const d of ['dist', 'build/Release', 'prebuilds']) {
        if (existsSync(join(pkgDir, d))) cpSync(join(pkgDir, d), join(to, d), { recursive: true, dereference: true });
      }
    } else {
      cpSync(pkgDir, to, { recursive: true, dereference: true });
    }
    const req = createRequire(join(pkgDir, 'package.json'));
    for (const dep of Object.keys(json.dependencies ?? {})) {
      copyPackage(dep, dirname(req.resolve(`${dep}/package.json`)));
    }
  };
  copyPackage('@rtemem/cli', PKG_DIR);
  const open = (p: string): void => {
    chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644 | (statSync(p).mode & 0o111 ? 0o111 : 0));
    if (statSync(p).isDirectory()) for (const n of readdirSync(p)) open(join(p, n));
  };
  open(root);
  return { cli: join(modules, '@rtemem', 'cli', 'dist', 'cli.js'), remove: () => rmSync(root, { recursive: true, force: true }) };
}
