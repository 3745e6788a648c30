/**
 * Worker threads: what a thread posts to a worker so that it can attach to
 * the same EAL ({@link EalWorkerData}), and the attach itself. The data
 * carries the very SharedArrayBuffers of the config and of every list:
 * posting them shares the memory, and the worker never maps anything again
 * (two backing stores over one mapping would crash V8).
 *
 * @see rte_thread_register in DPDK lib/eal/common/eal_common_thread.c (the
 * worker then registers for an lcore)
 */
import type { Backend } from './backend.js';
import { ConfigRegion } from './config.js';
import { LCORE_ID_ANY } from './constants.js';
import { RteError } from './errors.js';
import type { EalParts } from './init-parts.js';
import { CONFIG_VERSION } from './layout.js';
import { MemsegListMap } from './memseg-list.js';
import { registerWasmMemory, wasmMemoryOf, type WasmListMemory } from './wasm-memory.js';

/** What a worker thread needs to attach: structured-cloneable, shares (never copies) the memory. */
export interface EalWorkerData {
  __rtemem: 'eal';
  version: number;
  processType: 'primary' | 'secondary';
  backend: Backend;
  backendReason: string;
  filePrefix: string;
  runtimeDir: string;
  pageDir: string;
  pageSize: number;
  flags: number;
  config: SharedArrayBuffer;
  // The WebAssembly memory each list is in (ring-wasm), posted with it.
  lists: { index: number; sab: SharedArrayBuffer; fd: number; wasm?: WasmListMemory }[];
}

/** What worker data is made of: a handle's public parts (an {@link Eal} is one). */
export type WorkerDataSource = Pick<EalParts, 'processType' | 'backend' | 'backendReason' | 'filePrefix' | 'runtimeDir' | 'pageDir' | 'pageSize' | 'config'> & {
  readonly lists: readonly MemsegListMap[];
};

/** The worker data of handle `p`, whose config flags (CONFIG_F_*) are `flags`. */
export function workerDataOf(p: WorkerDataSource, flags: number): EalWorkerData {
  return {
    __rtemem: 'eal',
    version: CONFIG_VERSION,
    processType: p.processType,
    backend: p.backend,
    backendReason: p.backendReason,
    filePrefix: p.filePrefix,
    runtimeDir: p.runtimeDir,
    pageDir: p.pageDir,
    pageSize: p.pageSize,
    flags,
    config: p.config.sab,
    lists: p.lists.map((l) => ({ index: l.index, sab: l.sab, fd: l.fd, wasm: wasmMemoryOf(l.sab) })),
  };
}

/**
 * A worker's handle parts from its parent's {@link EalWorkerData}: no lcore
 * until it registers. Throws EINVAL for anything else, for data of another
 * layout version, and for a list the config does not have.
 */
export function partsFromWorkerData(data: EalWorkerData): EalParts {
  if (data === null || typeof data !== 'object' || data.__rtemem !== 'eal') {
    throw new RteError('EINVAL', 'Eal.attach needs the object returned by eal.workerData() in the parent thread');
  }
  if (data.version !== CONFIG_VERSION) {
    throw new RteError('EINVAL', `worker data of layout version ${data.version}, this build has ${CONFIG_VERSION}: load one rtemem version in every thread`);
  }
  const config = new ConfigRegion(data.config);
  const lists = data.lists.map((l) => {
    const d = config.readList(l.index);
    if (d === null) throw new RteError('EINVAL', `worker data names memseg list ${l.index}, which the config does not have`);
    if (l.wasm) registerWasmMemory(l.sab, l.wasm.memory, l.wasm.offset);
    return new MemsegListMap(d, l.sab, l.fd);
  });
  return {
    processType: data.processType,
    backend: data.backend,
    backendReason: data.backendReason,
    filePrefix: data.filePrefix,
    runtimeDir: data.runtimeDir,
    pageDir: data.pageDir,
    pageSize: data.pageSize,
    flags: data.flags,
    config,
    lists,
    configFd: -1,
    isWorker: true,
    staleFilesRemoved: [],
    lcore: LCORE_ID_ANY,
    readOnly: false,
  };
}
