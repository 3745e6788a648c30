/**
 * What every way of getting an EAL handle produces (the primary's init, a
 * secondary's init, a worker's attach), and the undo of a failed init: the
 * files, descriptors, mappings and runtime dir it made so far.
 *
 * @see rte_eal_init (its error paths) in DPDK lib/eal/linux/eal.c
 */
import { closeSync } from 'node:fs';
import type { Backend } from './backend.js';
import type { ConfigRegion } from './config.js';
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
