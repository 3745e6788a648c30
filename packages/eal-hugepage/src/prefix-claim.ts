/**
 * A primary's claim on its file prefix: the config file in the runtime
 * dir, held with an exclusive flock for the primary's whole life. A second
 * primary with the same prefix finds it locked; when the primary dies the
 * kernel drops the lock, and the next primary removes what it left.
 *
 * @see rte_eal_config_create (the write lock on the config file) in DPDK
 * lib/eal/linux/eal.c
 */
import { closeSync, constants as fsConstants, fchmodSync, fstatSync, ftruncateSync, openSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SHM_DIR } from './backend.js';
import { EAGAIN, fromErrno, RteError } from './errors.js';
import { hugepageMounts } from './hugepage-info.js';
import type { InitUndo } from './init-parts.js';
import { LOCK_EX, LOCK_NB, native } from './native.js';
import { createRuntimeDir, removePageFiles, unlinkQuiet } from './runtime-dir.js';

/** What a primary holds once the prefix is its own. */
export interface PrefixClaim {
  runtimeDir: string;
  /** The locked, empty config file (mode 0600). */
  configFd: number;
  /** Files of a dead primary with this prefix, removed as stale. */
  staleFilesRemoved: string[];
}

/** Times a primary retries taking the lock while other primaries keep replacing the file. */
const LOCK_ATTEMPTS = 100;
/** Where a replacement config file is made before it takes the config's name. */
const NEW_CONFIG_INFIX = '.new-';

/**
 * Claims `prefix` for a primary: makes the runtime dir, locks its config
 * file, removes a dead primary's leftovers (page files, an old config) and
 * leaves an empty locked config. Returns null, having changed nothing,
 * while another live primary holds the prefix. Everything made is recorded
 * in `undo`.
 */
export function claimPrefix(prefix: string, undo: InitUndo): PrefixClaim | null {
  const runtimeDir = createRuntimeDir(prefix);
  const cfgPath = join(runtimeDir, 'config');
  let configFd = lockConfigFile(cfgPath);
  if (configFd < 0) return null;
  undo.fds.push(configFd);
  // From here on the prefix is ours: whatever a dead primary left is stale.
  undo.paths.push(cfgPath);
  undo.prefix = prefix;
  const staleFilesRemoved = removePageFiles(prefix, [SHM_DIR, ...hugepageMounts().map((m) => m.mountPoint)]);
  for (const name of readdirSync(runtimeDir)) if (name.startsWith(`config${NEW_CONFIG_INFIX}`)) unlinkQuiet(join(runtimeDir, name));
  if (fstatSync(configFd).size > 0) {
    // A dead primary's config. Its secondaries may still map it: a new
    // file takes its name (they keep the old one, see their primary
    // dead, and are never truncated or rewritten under their feet).
    staleFilesRemoved.push(cfgPath);
    const fresh = replaceConfigFile(cfgPath);
    closeSync(configFd);
    undo.fds[undo.fds.indexOf(configFd)] = fresh;
    configFd = fresh;
  }
  fchmodSync(configFd, 0o600);
  ftruncateSync(configFd, 0);
  return { runtimeDir, configFd, staleFilesRemoved };
}

/**
 * Opens and locks the config file at `cfgPath` for a primary: the fd, or
 * -1 while another live primary holds it. The lock must be on the file
 * that is at the path when it is taken (a starting primary may replace a
 * stale one between our open and our lock): otherwise try again.
 */
export function lockConfigFile(cfgPath: string): number {
  const n = native()!;
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    const fd = openSync(cfgPath, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o600);
    const r = n.flock(fd, LOCK_EX | LOCK_NB);
    if (r === -EAGAIN) {
      closeSync(fd);
      return -1;
    }
    if (r < 0) {
      closeSync(fd);
      throw fromErrno(r, `cannot lock ${cfgPath}`);
    }
    const own = fstatSync(fd);
    let atPath: ReturnType<typeof statSync> | null = null;
    try {
      atPath = statSync(cfgPath);
    } catch {
      // Replaced or removed meanwhile.
    }
    if (atPath !== null && atPath.ino === own.ino && atPath.dev === own.dev) return fd;
    closeSync(fd);
  }
  throw new RteError('EBUSY', `${cfgPath} keeps being replaced: another primary is starting with this file prefix`);
}

/**
 * Puts a new, empty, locked config file in place of the one at `cfgPath`
 * (atomically, by rename) and returns its fd.
 */
function replaceConfigFile(cfgPath: string): number {
  const tmp = `${cfgPath}${NEW_CONFIG_INFIX}${process.pid}`;
  const fd = openSync(tmp, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  try {
    const r = native()!.flock(fd, LOCK_EX | LOCK_NB);
    if (r < 0) throw fromErrno(r, `cannot lock ${tmp}`);
    renameSync(tmp, cfgPath);
    return fd;
  } catch (e) {
    closeSync(fd);
    unlinkQuiet(tmp);
    throw e;
  }
}
