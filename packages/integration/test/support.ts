/**
 * Helpers for the packaging tests: the publishable packages of the repo,
 * child processes with bounded time and captured output, temp dirs, packing.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  files?: string[];
  sideEffects?: boolean;
  exports?: Record<string, unknown>;
  main?: string;
  module?: string;
  types?: string;
  bin?: string | Record<string, string>;
  license?: string;
  engines?: Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export interface WorkspacePackage {
  /** Directory name under packages/. */
  dir: string;
  /** Absolute path. */
  path: string;
  json: PackageJson;
}

/** Every package under packages/* with a package.json, private or not. */
export function workspacePackages(): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  for (const dir of readdirSync(join(ROOT, 'packages')).sort()) {
    const file = join(ROOT, 'packages', dir, 'package.json');
    if (!existsSync(file)) continue;
    out.push({ dir, path: join(ROOT, 'packages', dir), json: JSON.parse(readFileSync(file, 'utf8')) as PackageJson });
  }
  return out;
}

/** The packages that get published: packages/* minus the private ones. New packages are picked up by themselves. */
export function publishablePackages(): WorkspacePackage[] {
  return workspacePackages().filter((p) => p.json.private !== true);
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, for failure messages. */
  output: string;
}

/** Runs a command to completion (bounded by `timeout`), never through a shell. */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions & { timeout?: number } = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 240_000, ...opts });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  const stdout = String(r.stdout ?? '');
  const stderr = String(r.stderr ?? '');
  return { status: r.status, stdout, stderr, output: `$ ${cmd} ${args.join(' ')}\n${stdout}\n${stderr}`.slice(-20_000) };
}

/** Like run, but throws with the command's output when it exits non-zero. */
export function runOk(cmd: string, args: string[], opts: SpawnSyncOptions & { timeout?: number } = {}): RunResult {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`exit ${String(r.status)}\n${r.output}`);
  return r;
}

const temps: string[] = [];

/** A fresh temp dir, removed by removeTemps(). */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `rtemem-${prefix}-`));
  temps.push(d);
  return d;
}

export function removeTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * Builds every package (turbo, cached: nearly free after `pnpm test`'s own
 * build), so that what is packed is the current source.
 */
export function buildAll(): void {
  runOk('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT, timeout: 600_000 });
}

/** Packs one package with `pnpm pack` (which turns workspace: ranges into versions and runs prepack); returns the tarball path. */
export function pack(pkg: WorkspacePackage, dest: string): string {
  const r = runOk('pnpm', ['pack', '--pack-destination', dest, '--json'], { cwd: pkg.path, timeout: 300_000 });
  const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { filename: string };
  return info.filename;
}

/** Node's own headers (<prefix>/include/node), which node-gyp can use instead of downloading them. */
export function nodeHeadersDir(): string | null {
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : null;
}

/** The absolute path of a command on PATH, or null. */
export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = String(r.stdout ?? '').trim();
  return r.status === 0 && p.startsWith('/') ? p : null;
}
