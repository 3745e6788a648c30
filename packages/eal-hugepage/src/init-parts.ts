/**
 * What every way of getting an EAL handle produces (the primary's init, a
 * secondary's init, a worker's attach), the undo of a failed init (the
 * files, descriptors, mappings and runtime dir it made so far), and what a
 * process's handle gives back at cleanup.
 *
 * @see rte_eal_init (its error paths), rte_eal_cleanup in DPDK lib/eal/linux/eal.c
 */
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from './backend.js';
import type { ConfigRegion } from './config.js';
import { CONFIG_STATE_CLOSED, HDR_STATE } from './layout.js';
import type { MemsegListMap } from './memseg-list.js';
import { native } from './native.js';
import { removeRuntimeDir, unlinkQuiet } from './runtime-dir.js';

/** Everything an {@link Eal} handle is made of. */
export interface EalParts {
  processType: 'primary' | 'secondary';
  backend: Backend;
  backendReason: string;
  filePrefix: string;
  runtimeDir: string;
  pageDir: string;
  pageSize: number;
  /** CONFIG_F_* bits. */
  flags: number;
  config: ConfigRegion;
  lists: MemsegListMap[];
  /** This process's descriptor of the config file; -1 without one (sab, in-memory, a worker). */
  configFd: number;
  isWorker: boolean;
  staleFilesRemoved: string[];
  /** The calling thread's lcore id, LCORE_ID_ANY for none yet. */
  lcore: number;
  readOnly: boolean;
}

/** Files and mappings made so far by an init, undone when it fails. */
export class InitUndo {
  fds: number[] = [];
  paths: string[] = [];
  buffers: SharedArrayBuffer[] = [];
  /** The file prefix whose runtime dir to remove ('' to keep it). */
  prefix = '';

  /** Unmaps, unlinks and closes everything recorded, in that order. */
  run(): void {
    const n = native();
    for (const b of this.buffers) n?.release(b);
    for (const path of this.paths) unlinkQuiet(path);
    for (const fd of this.fds) {
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
    }
    if (this.prefix) removeRuntimeDir(this.prefix);
  }
}

function closeQuiet(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Closed already.
  }
}

/**
 * What the cleanup of a process's handle (not a worker's) gives back: the
 * primary marks the config closed and unlinks the page files; the lists
 * with a file are unmapped and their descriptors closed; then the config
 * (`configFd` >= 0), and the primary removes the runtime dir.
 */
export function releaseParts(p: Readonly<Pick<EalParts, 'processType' | 'config' | 'pageDir' | 'filePrefix'>> & { readonly lists: readonly MemsegListMap[] }, configFd: number): void {
  const n = native();
  if (p.processType === 'primary') {
    Atomics.store(p.config.i32, HDR_STATE >> 2, CONFIG_STATE_CLOSED);
    // Each page size's files are on that size's mount.
    const dirs = new Map(p.config.pageSizes().map((s) => [s.pageSize, s.dir]));
    for (const l of p.lists) if (l.fileName) unlinkQuiet(join(dirs.get(l.pageSize) ?? p.pageDir, l.fileName));
  }
  for (const l of p.lists) {
    if (l.fd < 0) continue;
    n?.release(l.sab);
    closeQuiet(l.fd);
  }
  if (configFd >= 0) {
    n?.release(p.config.sab);
    closeQuiet(configFd);
    if (p.processType === 'primary') removeRuntimeDir(p.filePrefix);
  }
}
