/**
 * Where a primary keeps its files: the runtime dir (config region) and the
 * page directory (one file per memseg list), both named by the file prefix.
 *
 * @see eal_get_runtime_dir, eal_create_runtime_dir in DPDK eal.c
 */
import { chmodSync, mkdirSync, readdirSync, rmSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RteError } from './errors.js';

/** File prefixes: letters, digits, '_', '-', '.', 1..48 characters, not starting with '.'. */
const PREFIX_RE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,47}$/;

/** Throws EINVAL unless `prefix` is a safe file prefix (no path separators, no '..'). */
export function validateFilePrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !PREFIX_RE.test(prefix) || prefix.includes('..')) {
    throw new RteError(
      'EINVAL',
      `invalid filePrefix ${JSON.stringify(prefix)}: use 1-48 characters from [A-Za-z0-9_.-], not starting with '.' and without '..'`,
    );
  }
  return prefix;
}

/** The parent of every prefix's runtime dir. */
export function runtimeBaseDir(): string {
  if (process.env.RTEMEM_RUNTIME_DIR) return process.env.RTEMEM_RUNTIME_DIR;
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/var/run/rtemem';
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg) return join(xdg, 'rtemem');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join('/tmp', `rtemem-${uid}`);
}

/** The runtime dir of a file prefix. */
export function runtimeDirFor(prefix: string): string {
  return join(runtimeBaseDir(), prefix);
}

/** The config region file of a file prefix. */
export function configPathFor(prefix: string): string {
  return join(runtimeDirFor(prefix), 'config');
}

/** Creates the runtime dir (and its parent) with mode 0700. */
export function createRuntimeDir(prefix: string): string {
  const base = runtimeBaseDir();
  const dir = runtimeDirFor(prefix);
  try {
    mkdirSync(base, { recursive: true, mode: 0o700 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new RteError(err.code === 'EACCES' ? 'EPERM' : (err.code ?? 'EINVAL'), `cannot create runtime dir ${dir}: ${err.message}; set RTEMEM_RUNTIME_DIR to a writable directory`);
  }
  return dir;
}

/** The page file of list `index` for a prefix: `<prefix>map_<index>`. */
export function pageFileName(prefix: string, index: number): string {
  return `${prefix}map_${index}`;
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Removes every page file of `prefix` from `dirs`; returns the paths removed. */
export function removePageFiles(prefix: string, dirs: string[]): string[] {
  const re = new RegExp(`^${escapeRe(prefix)}map_\\d+$`);
  const removed: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!re.test(name)) continue;
      const path = join(dir, name);
      try {
        unlinkSync(path);
        removed.push(path);
      } catch {
        // Another user's file, or already gone: not ours to remove.
      }
    }
  }
  return removed;
}

/**
 * Removes the runtime dir of a prefix when nothing but our files is left,
 * and the parent it was created in when that is empty too: a machine where
 * every primary has cleaned up holds no rtemem directory. (A primary that
 * creates its dir meanwhile recreates the parent: createRuntimeDir makes both.)
 */
export function removeRuntimeDir(prefix: string): void {
  const dir = runtimeDirFor(prefix);
  try {
    rmSync(join(dir, 'config'), { force: true });
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // Already gone.
  }
  try {
    rmdirSync(runtimeBaseDir());
  } catch {
    // Not empty (other primaries), not ours, or already gone.
  }
}

/** uid owning a path, or -1. */
export function ownerUid(path: string): number {
  try {
    return statSync(path).uid;
  } catch {
    return -1;
  }
}

/** Unlinks a file, ignoring a missing one. */
export function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Nothing to remove.
  }
}
