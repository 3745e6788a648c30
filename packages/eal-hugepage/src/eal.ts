/**
 * The Environment Abstraction Layer of rtemem: memory backend, shared
 * config region, memseg lists, processes (primary / secondary) and lcores.
 *
 * @see rte_eal_init, rte_eal_cleanup, rte_thread_register in DPDK lib/eal
 */
import { closeSync, constants as fsConstants, existsSync, fchmodSync, fstatSync, ftruncateSync, openSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { type Backend, type BackendChoice, chooseBackend, formatSize, SHM_DIR } from './backend.js';
import { ConfigRegion, configSizeFor, type ListDescriptor } from './config.js';
import { LCORE_ID_ANY, MAX_LCORE, SOCKET_ID_ANY } from './constants.js';
import { fromErrno, RteError } from './errors.js';
import { hugepageMounts, numaNodes } from './hugepage-info.js';
import {
  AREAS_DEFAULT_SIZE,
  AREAS_START,
  BACKEND_CODE_ANONYMOUS,
  BACKEND_CODE_HUGETLBFS,
  BACKEND_CODE_SAB,
  CONFIG_F_IN_MEMORY,
  CONFIG_F_LEGACY_MEM,
  CONFIG_MAGIC,
  CONFIG_STATE_CLOSED,
  CONFIG_STATE_READY,
  CONFIG_VERSION,
  HDR_AREAS_OFF,
  HDR_AREAS_SIZE,
  HDR_AREAS_USED,
  HDR_BACKEND,
  HDR_FLAGS,
  HDR_LIST_COUNT,
  HDR_MAGIC,
  HDR_MEMORY,
  HDR_OWNER_UID,
  HDR_PAGE_DIR,
  HDR_PAGE_DIR_LEN,
  HDR_PAGE_SIZE,
  HDR_PRIMARY_PID,
  HDR_PRIMARY_START,
  HDR_SIZE,
  HDR_STATE,
  HDR_VERSION,
  HEADER_BYTES,
  LCORE_ROLE_MAIN,
  LCORE_ROLE_SECONDARY,
  LCORE_ROLE_THREAD,
  LIST_SPAN,
  LOCK_CONFIG,
  LOCK_MEMSEG,
  MAX_LISTS,
  ML_EXT_VA,
  ML_F_EXTERNAL,
  ML_USED_SEGS,
  SEG_ENTRY_BYTES,
  SEG_F_DO_NOT_FREE,
  SEG_F_USED,
} from './layout.js';
import { type LcoreInfo, lcoreClaim, lcoreList, lcoreReclaimDead, lcoreRelease, lcoreSocket } from './lcore.js';
import { type LockOwner, lockAcquire, lockRelease } from './lock.js';
import { backPages, mapListFile, markBacked, MemsegListMap, releasePages, segState } from './memseg-list.js';
// Hook (ring-wasm): lists live in WebAssembly memories; see wasm-memory.ts.
import { mapListBuffer, registerWasmMemory, sabListBuffer, wasmMemoryOf, type WasmListMemory } from './wasm-memory.js';
import { LOCK_EX, LOCK_NB, native } from './native.js';
import { processAlive, selfStartTime } from './process-info.js';
import { configPathFor, createRuntimeDir, pageFileName, removePageFiles, removeRuntimeDir, runtimeDirFor, unlinkQuiet, validateFilePrefix } from './runtime-dir.js';

export type { Backend } from './backend.js';

/** Options of {@link Eal.init}, after DPDK's EAL command line. */
export interface EalOptions {
  /** Where memory comes from; default 'auto' (hugetlbfs, else anonymous, else sab). */
  backend?: 'auto' | Backend;
  /** Bytes reserved up front (-m); default 64 MiB. The heap grows past it on demand unless legacyMem (sab: fixed). */
  memory?: number;
  /** Bytes per NUMA socket reserved up front (--socket-mem); replaces `memory`. */
  socketMemory?: number[];
  /** Bytes of address space per socket the heap may grow to; default max(memory, 1 GiB). */
  maxMemory?: number;
  /** Hugepage size for hugetlbfs; default the system's default hugepage size. */
  pageSize?: number;
  /** hugetlbfs mount to use (--huge-dir); default the first mount of pageSize. */
  hugeDir?: string;
  /** Names the runtime dir and the page files (--file-prefix); default 'rtemem'. */
  filePrefix?: string;
  /** 'primary' (default), 'secondary' (attach to a running primary) or 'auto'. */
  processType?: 'primary' | 'secondary' | 'auto';
  /** No shared files and no secondaries (--in-memory); worker threads still share. */
  inMemory?: boolean;
  /** Preallocate all memory; never grow or shrink (--legacy-mem). */
  legacyMem?: boolean;
  /**
   * A secondary that only looks (for tools such as `rtemem info`): it claims
   * no lcore and creates no config area; layers that need one it lacks
   * throw ENOENT.
   */
  readOnly?: boolean;
}

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
  // wasm (hook, ring-wasm): the WebAssembly memory the list is in, posted with it.
  lists: { index: number; sab: SharedArrayBuffer; fd: number; wasm?: WasmListMemory }[];
}

const DEFAULT_MEMORY = 64 * 1024 * 1024;
const KNOWN_OPTIONS = new Set([
  'backend',
  'memory',
  'socketMemory',
  'maxMemory',
  'pageSize',
  'hugeDir',
  'filePrefix',
  'processType',
  'inMemory',
  'legacyMem',
  'readOnly',
]);
const SECONDARY_WAIT_MS = 5000;
const EWOULDBLOCK = -11;

const BACKEND_CODES: Record<Backend, number> = {
  hugetlbfs: BACKEND_CODE_HUGETLBFS,
  anonymous: BACKEND_CODE_ANONYMOUS,
  sab: BACKEND_CODE_SAB,
};

interface Normalized {
  backend: 'auto' | Backend;
  memory: number;
  socketMemory: number[] | null;
  maxMemory: number | null;
  pageSize: number | undefined;
  hugeDir: string | undefined;
  filePrefix: string;
  processType: 'primary' | 'secondary' | 'auto';
  inMemory: boolean;
  legacyMem: boolean;
  readOnly: boolean;
}

function isByteCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function normalize(opts: EalOptions): Normalized {
  if (opts === null || typeof opts !== 'object') throw new RteError('EINVAL', 'Eal.init options must be an object');
  for (const key of Object.keys(opts)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new RteError('EINVAL', `unknown EAL option ${JSON.stringify(key)}; known: ${[...KNOWN_OPTIONS].join(', ')}`);
    }
  }
  const backend = opts.backend ?? 'auto';
  if (!['auto', 'hugetlbfs', 'anonymous', 'sab'].includes(backend)) {
    throw new RteError('EINVAL', `backend must be 'auto', 'hugetlbfs', 'anonymous' or 'sab', not ${JSON.stringify(backend)}`);
  }
  const memory = opts.memory ?? DEFAULT_MEMORY;
  if (!isByteCount(memory) || memory === 0) throw new RteError('EINVAL', `memory must be a positive whole number of bytes, not ${String(memory)}`);
  let socketMemory: number[] | null = null;
  if (opts.socketMemory !== undefined) {
    if (!Array.isArray(opts.socketMemory) || opts.socketMemory.length === 0 || !opts.socketMemory.every(isByteCount)) {
      throw new RteError('EINVAL', 'socketMemory must be a non-empty array of byte counts, one per socket');
    }
    if (opts.socketMemory.every((b) => b === 0)) throw new RteError('EINVAL', 'socketMemory asks for no memory on any socket');
    socketMemory = opts.socketMemory;
  }
  const maxMemory = opts.maxMemory ?? null;
  if (maxMemory !== null && (!isByteCount(maxMemory) || maxMemory === 0)) {
    throw new RteError('EINVAL', `maxMemory must be a positive whole number of bytes, not ${String(maxMemory)}`);
  }
  const pageSize = opts.pageSize;
  if (pageSize !== undefined && (!isByteCount(pageSize) || pageSize < 4096 || (pageSize & (pageSize - 1)) !== 0)) {
    throw new RteError('EINVAL', `pageSize must be a power of two of at least 4096, not ${String(pageSize)}`);
  }
  if (opts.hugeDir !== undefined && (typeof opts.hugeDir !== 'string' || opts.hugeDir === '')) {
    throw new RteError('EINVAL', 'hugeDir must be the path of a hugetlbfs mount');
  }
  const processType = opts.processType ?? 'primary';
  if (!['primary', 'secondary', 'auto'].includes(processType)) {
    throw new RteError('EINVAL', `processType must be 'primary', 'secondary' or 'auto', not ${JSON.stringify(processType)}`);
  }
  return {
    backend,
    memory,
    socketMemory,
    maxMemory,
    pageSize,
    hugeDir: opts.hugeDir,
    filePrefix: validateFilePrefix(opts.filePrefix ?? 'rtemem'),
    processType,
    inMemory: opts.inMemory === true,
    legacyMem: opts.legacyMem === true,
    readOnly: opts.readOnly === true,
  };
}

function geteuid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Everything a handle is made of. */
interface EalParts {
  processType: 'primary' | 'secondary';
  backend: Backend;
  backendReason: string;
  filePrefix: string;
  runtimeDir: string;
  pageDir: string;
  pageSize: number;
  flags: number;
  config: ConfigRegion;
  lists: MemsegListMap[];
  configFd: number;
  isWorker: boolean;
  staleFilesRemoved: string[];
}

/** Files and mappings made so far by an init, undone when it fails. */
class InitUndo {
  fds: number[] = [];
  paths: string[] = [];
  buffers: SharedArrayBuffer[] = [];
  prefix = '';

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

/**
 * One thread's handle on an EAL. The primary's main thread gets it from
 * {@link Eal.init}; a secondary process from `Eal.init({ processType:
 * 'secondary' })`; a worker thread from `Eal.attach(eal.workerData())`.
 *
 * @example
 * ```ts
 * import { Eal } from '@rtemem/eal-hugepage';
 * const eal = Eal.init({ backend: 'sab', memory: 8 << 20 });
 * eal.lcoreId() === 0 && eal.processType === 'primary';
 * eal.cleanup();
 * ```
 * @see rte_eal_init
 */
export class Eal {
  /** 'primary' or 'secondary' (a worker reports its process's type). */
  readonly processType: 'primary' | 'secondary';
  /** The memory backend in use. */
  readonly backend: Backend;
  /** Why this backend was chosen. */
  readonly backendReason: string;
  /** The file prefix naming the runtime dir and page files. */
  readonly filePrefix: string;
  /** The runtime dir holding the config region ('' for sab and in-memory). */
  readonly runtimeDir: string;
  /** The directory of the list files ('' for sab and in-memory). */
  readonly pageDir: string;
  /** Page size of every memseg list. */
  readonly pageSize: number;
  /** The config region (shared). */
  readonly config: ConfigRegion;
  /** Memseg lists, in index order. */
  readonly lists: readonly MemsegListMap[];
  /** True in a handle made by {@link Eal.attach}. */
  readonly isWorker: boolean;
  /** Files of a dead primary with the same prefix that init removed. */
  readonly staleFilesRemoved: readonly string[];
  /** This process's pid (the owner recorded in shared locks). */
  readonly pid: number = process.pid;

  /**
   * The calling thread's lcore id in a one-element array (LCORE_ID_ANY when
   * unregistered), for hot paths that need it on every call: one typed-array
   * load instead of a method call. Read-only for users.
   */
  readonly lcoreCell: Uint32Array = Uint32Array.of(LCORE_ID_ANY);

  readonly #flags: number;
  readonly #byIndex: (MemsegListMap | undefined)[];
  #configFd: number;
  #closed = false;
  #readOnly = false;

  private constructor(p: EalParts) {
    this.processType = p.processType;
    this.backend = p.backend;
    this.backendReason = p.backendReason;
    this.filePrefix = p.filePrefix;
    this.runtimeDir = p.runtimeDir;
    this.pageDir = p.pageDir;
    this.pageSize = p.pageSize;
    this.#flags = p.flags;
    this.config = p.config;
    this.lists = p.lists;
    this.#configFd = p.configFd;
    this.isWorker = p.isWorker;
    this.staleFilesRemoved = p.staleFilesRemoved;
    this.#byIndex = [];
    for (const l of p.lists) this.#byIndex[l.index] = l;
  }

  /**
   * Initialises the EAL: picks the backend, creates (primary) or attaches to
   * (secondary) the shared config and memory, and gives the calling thread
   * its lcore (0 for a primary).
   *
   * Throws EINVAL for bad options, EBUSY when another primary uses the file
   * prefix, ENOENT when a secondary finds no primary (or hugetlbfs is not
   * mounted), ENOMEM when the memory cannot be reserved, ENOTSUP when a
   * backend needs the native addon and it did not load.
   *
   * @see rte_eal_init
   */
  static init(opts: EalOptions = {}): Eal {
    const o = normalize(opts);
    if (o.readOnly && o.processType !== 'secondary') throw new RteError('EINVAL', "readOnly is for secondary processes: pass processType 'secondary'");
    if (o.processType === 'secondary') return Eal.#initSecondary(o);
    const eal = Eal.#initPrimary(o);
    if (eal !== null) return eal;
    return Eal.#initSecondary(o);
  }

  /**
   * Attaches a worker thread to its parent's EAL, sharing the very same
   * SharedArrayBuffers. The new handle has no lcore until
   * {@link Eal.threadRegister}.
   *
   * @example
   * ```ts
   * // main thread: new Worker(file, { workerData: eal.workerData() })
   * // worker:      const eal = Eal.attach(workerData); eal.threadRegister();
   * ```
   */
  static attach(data: EalWorkerData): Eal {
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
      if (l.wasm) registerWasmMemory(l.sab, l.wasm.memory, l.wasm.offset); // hook (ring-wasm)
      return new MemsegListMap(d, l.sab, l.fd);
    });
    return new Eal({
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
    });
  }

  // Returns null when processType is 'auto' and a live primary holds the prefix.
  static #initPrimary(o: Normalized): Eal | null {
    const choice: BackendChoice = chooseBackend(o.backend, {
      pageSize: o.pageSize,
      hugeDir: o.hugeDir,
      memory: o.socketMemory ? o.socketMemory.reduce((a, b) => a + b, 0) : o.memory,
      inMemory: o.inMemory,
    });
    const files = choice.backend !== 'sab' && !o.inMemory;
    const undo = new InitUndo();
    const n = native();
    try {
      let runtimeDir = '';
      let configFd = -1;
      let staleFilesRemoved: string[] = [];
      if (files) {
        runtimeDir = createRuntimeDir(o.filePrefix);
        const cfgPath = join(runtimeDir, 'config');
        configFd = Eal.#lockConfigFile(cfgPath);
        if (configFd < 0) {
          if (o.processType === 'auto') return null;
          throw new RteError(
            'EBUSY',
            `another primary process is running with file prefix '${o.filePrefix}' (${cfgPath} is locked): ` +
              "use another filePrefix, or processType 'secondary' to attach to it",
          );
        }
        undo.fds.push(configFd);
        // From here on the prefix is ours: whatever a dead primary left is stale.
        undo.paths.push(cfgPath);
        undo.prefix = o.filePrefix;
        staleFilesRemoved = removePageFiles(o.filePrefix, [SHM_DIR, ...hugepageMounts().map((m) => m.mountPoint)]);
        for (const name of readdirSync(runtimeDir)) if (name.startsWith('config.new-')) unlinkQuiet(join(runtimeDir, name));
        if (fstatSync(configFd).size > 0) {
          // A dead primary's config. Its secondaries may still map it: a new
          // file takes its name (they keep the old one, see their primary
          // dead, and are never truncated or rewritten under their feet).
          staleFilesRemoved.push(cfgPath);
          const fresh = Eal.#replaceConfigFile(cfgPath);
          closeSync(configFd);
          undo.fds[undo.fds.indexOf(configFd)] = fresh;
          configFd = fresh;
        }
        fchmodSync(configFd, 0o600);
        ftruncateSync(configFd, 0);
      }

      // Memory per socket, rounded to whole pages.
      const pageSize = choice.pageSize;
      const sockets = choice.backend === 'sab' ? [0] : numaNodes();
      const mainSocket = Eal.#currentSocket(sockets);
      const memPerSocket = new Map<number, number>();
      for (const s of sockets) memPerSocket.set(s, 0);
      if (o.socketMemory) {
        o.socketMemory.forEach((bytes, s) => {
          if (bytes > 0 && !memPerSocket.has(s)) {
            throw new RteError('EINVAL', `socketMemory asks for memory on socket ${s}, which does not exist (sockets: ${sockets.join(', ')})`);
          }
          if (bytes > 0) memPerSocket.set(s, roundUp(bytes, pageSize));
        });
      } else {
        memPerSocket.set(mainSocket, roundUp(o.memory, pageSize));
      }

      // Lists: address space per socket, LIST_SPAN at most per list.
      const plan: { socketId: number; length: number }[] = [];
      for (const s of sockets) {
        const mem = memPerSocket.get(s)!;
        if (choice.backend === 'sab') {
          for (let left = mem; left > 0; left -= LIST_SPAN) plan.push({ socketId: s, length: Math.min(LIST_SPAN, left) });
          continue;
        }
        const capacity = Math.max(mem, o.maxMemory ?? LIST_SPAN);
        const perList = Math.floor(LIST_SPAN / pageSize) * pageSize;
        if (perList === 0) throw new RteError('EINVAL', `pageSize ${formatSize(pageSize)} is larger than a memseg list (${formatSize(LIST_SPAN)})`);
        for (let left = capacity; left > 0; left -= perList) plan.push({ socketId: s, length: perList });
      }
      if (plan.length > MAX_LISTS) {
        throw new RteError('EINVAL', `${plan.length} memseg lists needed, at most ${MAX_LISTS}: ask for less memory or maxMemory`);
      }

      // The config region.
      const segCounts = plan.map((p) => p.length / pageSize);
      const configSize = configSizeFor(AREAS_DEFAULT_SIZE, segCounts);
      let configSab: SharedArrayBuffer;
      if (files) {
        ftruncateSync(configFd, configSize);
        configSab = mapListFile(configFd, configSize, `config region of '${o.filePrefix}'`);
        undo.buffers.push(configSab);
      } else {
        configSab = new SharedArrayBuffer(configSize);
      }
      const config = new ConfigRegion(configSab);
      const flags = (o.legacyMem ? CONFIG_F_LEGACY_MEM : 0) | (o.inMemory ? CONFIG_F_IN_MEMORY : 0);
      config.u32[HDR_MAGIC >> 2] = CONFIG_MAGIC;
      config.u32[HDR_VERSION >> 2] = CONFIG_VERSION;
      config.u32[HDR_SIZE >> 2] = configSize;
      config.u32[HDR_OWNER_UID >> 2] = geteuid();
      config.i32[HDR_PRIMARY_PID >> 2] = process.pid;
      config.f64[HDR_PRIMARY_START >> 3] = selfStartTime;
      config.u32[HDR_BACKEND >> 2] = BACKEND_CODES[choice.backend];
      config.u32[HDR_FLAGS >> 2] = flags;
      config.u32[HDR_LIST_COUNT >> 2] = plan.length;
      config.f64[HDR_PAGE_SIZE >> 3] = pageSize;
      config.f64[HDR_MEMORY >> 3] = [...memPerSocket.values()].reduce((a, b) => a + b, 0);
      config.u32[HDR_AREAS_OFF >> 2] = AREAS_START;
      config.u32[HDR_AREAS_SIZE >> 2] = AREAS_DEFAULT_SIZE;
      config.u32[HDR_AREAS_USED >> 2] = 0;
      config.writeString(HDR_PAGE_DIR, HDR_PAGE_DIR_LEN, choice.pageDir);

      // The lists: one file (or memfd, or plain buffer) each, mapped whole.
      const lists: MemsegListMap[] = [];
      let segTable = AREAS_START + AREAS_DEFAULT_SIZE;
      plan.forEach((p, i) => {
        const index = i + 1;
        const fileName = files ? pageFileName(o.filePrefix, index) : '';
        const d = { index, flags: 0, socketId: p.socketId, pageSize, nSegs: p.length / pageSize, segTable, length: p.length, fileName };
        segTable += d.nSegs * SEG_ENTRY_BYTES;
        config.writeList(d);
        let sab: SharedArrayBuffer;
        let fd = -1;
        if (choice.backend === 'sab') {
          sab = sabListBuffer(p.length); // hook (ring-wasm): a WebAssembly memory's buffer
        } else {
          if (files) {
            const path = join(choice.pageDir, fileName);
            fd = openSync(path, 'w+', 0o600);
            undo.paths.push(path);
          } else {
            fd = n!.memfdCreate(`rtemem_${o.filePrefix}_${index}`, choice.backend === 'hugetlbfs' ? pageSize : 0);
            if (fd < 0) throw fromErrno(fd, `cannot create an in-memory file for memseg list ${index}`);
          }
          undo.fds.push(fd);
          if (choice.backend === 'anonymous') ftruncateSync(fd, p.length);
          sab = mapListBuffer(fd, p.length, pageSize, `memseg list ${index}`); // hook (ring-wasm)
          undo.buffers.push(sab);
        }
        lists.push(new MemsegListMap(d, sab, fd));
      });

      // Memory reserved up front: never given back (DPDK's DO_NOT_FREE).
      const bindNode = sockets.length > 1;
      for (const [socketId, bytes] of memPerSocket) {
        let pages = bytes / pageSize;
        for (const list of lists) {
          if (pages === 0) break;
          if (list.socketId !== socketId) continue;
          const take = Math.min(pages, list.nSegs);
          if (choice.backend === 'sab') {
            markBacked(config, list, 0, take, SEG_F_DO_NOT_FREE);
          } else {
            const r = backPages(config, list, 0, take, SEG_F_DO_NOT_FREE, bindNode);
            if (r < 0) {
              throw new RteError(
                r === -12 ? 'ENOMEM' : fromErrno(r, '').code,
                `cannot reserve ${formatSize(bytes)} of ${formatSize(pageSize)} pages on socket ${socketId} (${fromErrno(r, 'fallocate').message})` +
                  (r !== -12
                    ? ''
                    : choice.backend === 'hugetlbfs'
                    ? `: reserve more hugepages (\`echo N > /sys/kernel/mm/hugepages/hugepages-${pageSize / 1024}kB/nr_hugepages\`) or ask for less memory (inside a container, a hugetlb cgroup limit can refuse them too: hugetlb.${pageSize >= 1 << 30 ? `${pageSize / (1 << 30)}GB` : `${pageSize / (1 << 20)}MB`}.limit_in_bytes)`
                    : ': ask for less memory'),
              );
            }
          }
          pages -= take;
        }
      }

      const eal = new Eal({
        processType: 'primary',
        backend: choice.backend,
        backendReason: choice.reason,
        filePrefix: o.filePrefix,
        runtimeDir,
        pageDir: choice.pageDir,
        pageSize,
        flags,
        config,
        lists,
        configFd,
        isWorker: false,
        staleFilesRemoved,
      });
      const id = lcoreClaim(config, 0, LCORE_ROLE_MAIN, process.pid, selfStartTime, threadId, mainSocket);
      eal.lcoreCell[0] = id;
      Atomics.store(config.i32, HDR_STATE >> 2, CONFIG_STATE_READY);
      return eal;
    } catch (e) {
      undo.run();
      throw e;
    }
  }

  // Opens and locks the config file at `cfgPath` for a primary: the fd, or
  // -1 while another live primary holds it. The lock must be on the file
  // that is at the path when it is taken (a starting primary may replace a
  // stale one between our open and our lock): otherwise try again.
  static #lockConfigFile(cfgPath: string): number {
    const n = native()!;
    for (let attempt = 0; attempt < 100; attempt++) {
      const fd = openSync(cfgPath, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o600);
      const r = n.flock(fd, LOCK_EX | LOCK_NB);
      if (r === EWOULDBLOCK) {
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

  // Puts a new, empty, locked config file in place of the one at `cfgPath`
  // (atomically, by rename) and returns its fd.
  static #replaceConfigFile(cfgPath: string): number {
    const tmp = `${cfgPath}.new-${process.pid}`;
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

  static #initSecondary(o: Normalized): Eal {
    if (o.inMemory) throw new RteError('EINVAL', 'an in-memory EAL has no shared files, so it cannot be a secondary process');
    if (o.backend === 'sab') {
      throw new RteError('EINVAL', "the sab backend has no shared files: secondary processes need the hugetlbfs or anonymous backend in the primary");
    }
    const n = native();
    if (n === null) throw new RteError('ENOTSUP', 'a secondary process needs the native addon, which did not load');
    const cfgPath = configPathFor(o.filePrefix);
    if (!existsSync(cfgPath)) {
      throw new RteError(
        'ENOENT',
        `no primary process with file prefix '${o.filePrefix}' (no config at ${cfgPath}): start a primary first, or check filePrefix`,
      );
    }
    const undo = new InitUndo();
    try {
      const fd = openSync(cfgPath, 'r+');
      undo.fds.push(fd);
      const deadline = Date.now() + SECONDARY_WAIT_MS;
      let st = fstatSync(fd);
      if (st.uid !== geteuid()) {
        throw new RteError('EPERM', `config ${cfgPath} belongs to uid ${st.uid}, this process runs as uid ${geteuid()}: run as the primary's user`);
      }
      while (st.size < HEADER_BYTES) {
        if (Date.now() > deadline) {
          throw new RteError('ENOENT', `config ${cfgPath} is empty: the primary died while starting; start a new primary`);
        }
        Atomics.wait(sleepCell, 0, 0, 10);
        st = fstatSync(fd);
      }
      const sab = mapListFile(fd, st.size, `config region ${cfgPath}`);
      undo.buffers.push(sab);
      const config = new ConfigRegion(sab);
      if (config.u32[HDR_MAGIC >> 2] !== CONFIG_MAGIC) {
        throw new RteError('EINVAL', `${cfgPath} is not an rtemem config region (bad magic): remove it, or use another filePrefix`);
      }
      if (config.u32[HDR_VERSION >> 2] !== CONFIG_VERSION) {
        throw new RteError(
          'EINVAL',
          `${cfgPath} has layout version ${config.u32[HDR_VERSION >> 2]}, this build expects ${CONFIG_VERSION}: run the same rtemem version in primary and secondary`,
        );
      }
      if (config.u32[HDR_OWNER_UID >> 2] !== geteuid()) {
        throw new RteError('EPERM', `the primary of '${o.filePrefix}' runs as uid ${config.u32[HDR_OWNER_UID >> 2]}, this process as uid ${geteuid()}`);
      }
      while (Atomics.load(config.i32, HDR_STATE >> 2) !== CONFIG_STATE_READY) {
        const starting = config.i32[HDR_PRIMARY_PID >> 2]!;
        if (
          Atomics.load(config.i32, HDR_STATE >> 2) === CONFIG_STATE_CLOSED ||
          Date.now() > deadline ||
          (starting !== 0 && !processAlive(starting, config.f64[HDR_PRIMARY_START >> 3]!))
        ) {
          throw new RteError('ENOENT', `the primary of '${o.filePrefix}' is not ready (shut down or died while starting): start a new primary`);
        }
        Atomics.wait(sleepCell, 0, 0, 10);
      }
      if (!Eal.#primaryAliveIn(config)) {
        throw new RteError(
          'ENOENT',
          `the primary of '${o.filePrefix}' (pid ${config.i32[HDR_PRIMARY_PID >> 2]}) is not running; its files are stale: start a new primary`,
        );
      }
      const backendCode = config.u32[HDR_BACKEND >> 2]!;
      const backend: Backend = backendCode === BACKEND_CODE_HUGETLBFS ? 'hugetlbfs' : backendCode === BACKEND_CODE_ANONYMOUS ? 'anonymous' : 'sab';
      const pageDir = config.readString(HDR_PAGE_DIR, HDR_PAGE_DIR_LEN);
      const lists: MemsegListMap[] = [];
      const count = config.u32[HDR_LIST_COUNT >> 2]!;
      for (let index = 1; index <= count; index++) {
        const d = config.readList(index)!;
        const path = join(pageDir, d.fileName);
        const lfd = openSync(path, 'r+');
        undo.fds.push(lfd);
        const lsab = mapListBuffer(lfd, d.length, d.pageSize, `memseg list ${index} (${path})`); // hook (ring-wasm)
        undo.buffers.push(lsab);
        lists.push(new MemsegListMap(d, lsab, lfd));
      }
      const eal = new Eal({
        processType: 'secondary',
        backend,
        backendReason: 'attached to the primary',
        filePrefix: o.filePrefix,
        runtimeDir: runtimeDirFor(o.filePrefix),
        pageDir,
        pageSize: config.f64[HDR_PAGE_SIZE >> 3]!,
        flags: config.u32[HDR_FLAGS >> 2]!,
        config,
        lists,
        configFd: fd,
        isWorker: false,
        staleFilesRemoved: [],
      });
      eal.#readOnly = o.readOnly;
      if (!o.readOnly) eal.lcoreCell[0] = eal.#claimLcore(LCORE_ROLE_SECONDARY);
      return eal;
    } catch (e) {
      undo.run();
      throw e;
    }
  }

  static #currentSocket(sockets: number[]): number {
    const n = native();
    const node = n !== null ? n.currentNode() : -1;
    return sockets.includes(node) ? node : sockets[0]!;
  }

  static #primaryAliveIn(config: ConfigRegion): boolean {
    if (Atomics.load(config.i32, HDR_STATE >> 2) === CONFIG_STATE_CLOSED) return false;
    return processAlive(config.i32[HDR_PRIMARY_PID >> 2]!, config.f64[HDR_PRIMARY_START >> 3]!);
  }

  /** True when legacyMem: memory is preallocated and never grows or shrinks. */
  get legacyMem(): boolean {
    return (this.#flags & CONFIG_F_LEGACY_MEM) !== 0;
  }

  /** True for an in-memory EAL (no shared files, no secondaries). */
  get inMemory(): boolean {
    return (this.#flags & CONFIG_F_IN_MEMORY) !== 0;
  }

  /** True once {@link Eal.cleanup} ran on this handle. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Data for `new Worker(file, { workerData })`, from which the worker calls
   * {@link Eal.attach}. Posting it shares the memory (the same
   * SharedArrayBuffer objects), it never copies or re-maps it.
   */
  workerData(): EalWorkerData {
    this.#checkOpen();
    return {
      __rtemem: 'eal',
      version: CONFIG_VERSION,
      processType: this.processType,
      backend: this.backend,
      backendReason: this.backendReason,
      filePrefix: this.filePrefix,
      runtimeDir: this.runtimeDir,
      pageDir: this.pageDir,
      pageSize: this.pageSize,
      flags: this.#flags,
      config: this.config.sab,
      lists: this.lists.map((l) => ({ index: l.index, sab: l.sab, fd: l.fd, wasm: wasmMemoryOf(l.sab) })),
    };
  }

  /** The calling thread's lcore id: 0 on the primary's main thread, LCORE_ID_ANY before threadRegister. @see rte_lcore_id */
  lcoreId(): number {
    return this.lcoreCell[0]!;
  }

  /**
   * Gives this thread an lcore id of its own from the shared table (ids of
   * dead processes are reclaimed first when the table is full). Returns the
   * existing id when the thread already has one. Throws ENOSPC when all
   * MAX_LCORE ids are taken.
   *
   * @see rte_thread_register
   */
  threadRegister(): number {
    this.#checkOpen();
    if (this.#readOnly) throw new RteError('EPERM', 'a read-only EAL handle claims no lcore');
    if (this.lcoreCell[0] !== LCORE_ID_ANY) return this.lcoreCell[0]!;
    this.lcoreCell[0] = this.#claimLcore(LCORE_ROLE_THREAD);
    return this.lcoreCell[0]!;
  }

  /** Gives this thread's lcore id back. @see rte_thread_unregister */
  threadUnregister(): void {
    const lcore = this.lcoreCell[0]!;
    if (lcore === LCORE_ID_ANY) return;
    this.lock(LOCK_CONFIG);
    try {
      lcoreRelease(this.config, lcore);
    } finally {
      this.unlock(LOCK_CONFIG);
    }
    this.lcoreCell[0] = LCORE_ID_ANY;
  }

  #claimLcore(role: number): number {
    const socket = Eal.#currentSocket(this.lists.length > 0 ? [...new Set(this.lists.map((l) => l.socketId))] : [0]);
    this.lock(LOCK_CONFIG);
    try {
      let id = lcoreClaim(this.config, -1, role, process.pid, selfStartTime, threadId, socket);
      if (id < 0 && lcoreReclaimDead(this.config).length > 0) {
        id = lcoreClaim(this.config, -1, role, process.pid, selfStartTime, threadId, socket);
      }
      if (id < 0) {
        throw new RteError('ENOSPC', `all ${MAX_LCORE} lcore ids are in use: call threadUnregister() in threads that no longer need one`);
      }
      return id;
    } finally {
      this.unlock(LOCK_CONFIG);
    }
  }

  /** NUMA socket of the calling thread's lcore; SOCKET_ID_ANY without one. @see rte_socket_id */
  socketId(): number {
    const lcore = this.lcoreCell[0]!;
    if (lcore === LCORE_ID_ANY) return SOCKET_ID_ANY;
    return lcoreSocket(this.config, lcore);
  }

  /** Every lcore in use, in every process. */
  lcores(): LcoreInfo[] {
    return lcoreList(this.config);
  }

  /**
   * True while the primary process lives (always true in the primary, and
   * for sab / in-memory EALs, which have no other processes).
   */
  primaryAlive(): boolean {
    if (this.processType === 'primary') return !this.#closed;
    return Eal.#primaryAliveIn(this.config);
  }

  /** The pid of the primary process. */
  primaryPid(): number {
    return this.config.i32[HDR_PRIMARY_PID >> 2]!;
  }

  /**
   * Releases this handle. In a worker: gives the lcore back. In a secondary:
   * also unmaps the shared memory. In the primary: also removes the page
   * files and the config, so hugepages go back to the system once no
   * secondary maps them. Typed arrays still held read zeros afterwards; they
   * never crash the process. Calling it twice does nothing.
   *
   * @see rte_eal_cleanup
   */
  cleanup(): void {
    if (this.#closed) return;
    this.threadUnregister();
    this.#closed = true;
    if (this.isWorker) return;
    const n = native();
    if (this.processType === 'primary') {
      Atomics.store(this.config.i32, HDR_STATE >> 2, CONFIG_STATE_CLOSED);
      for (const l of this.lists) if (l.fileName) unlinkQuiet(join(this.pageDir, l.fileName));
    }
    for (const l of this.lists) {
      if (l.fd < 0) continue;
      n?.release(l.sab);
      try {
        closeSync(l.fd);
      } catch {
        // Closed already.
      }
    }
    if (this.#configFd >= 0) {
      n?.release(this.config.sab);
      try {
        closeSync(this.#configFd);
      } catch {
        // Closed already.
      }
      this.#configFd = -1;
      if (this.processType === 'primary') removeRuntimeDir(this.filePrefix);
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new RteError('EINVAL', 'this EAL handle was cleaned up: call Eal.init (or Eal.attach) again');
  }

  /* ---------------------------------------------------------------- *
   * For the upper layers
   * ---------------------------------------------------------------- */

  /**
   * The byte offset in the config region of the area named `name`, created
   * zero-filled with `size` bytes by the first caller in any process.
   */
  area(name: string, size: number): number {
    this.#checkOpen();
    if (this.#readOnly) {
      const found = this.config.areas().find((a) => a.name === name);
      if (found === undefined) throw new RteError('ENOENT', `the primary has no ${name} yet (a read-only handle creates nothing)`);
      return found.offset;
    }
    return this.config.area(name, size, this.pid, this.#lockLcore());
  }

  /** True for a read-only secondary (see EalOptions.readOnly). */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** Memseg list `index`, or undefined. */
  list(index: number): MemsegListMap | undefined {
    return this.#byIndex[index];
  }

  /** The memseg list holding rtemem address `addr`, or undefined. */
  listOf(addr: number): MemsegListMap | undefined {
    return this.#byIndex[Math.floor(addr / LIST_SPAN)];
  }

  #lockLcore(): number {
    const lcore = this.lcoreCell[0]!;
    return lcore === LCORE_ID_ANY ? -1 : lcore;
  }

  /** Takes a lock in the config region (see lock.ts), recording this process as owner. */
  lock(off: number, onRecover?: (dead: LockOwner) => void): void {
    lockAcquire(this.config.i32, off, this.pid, this.#lockLcore(), onRecover);
  }

  /** Releases a lock in the config region. */
  unlock(off: number): void {
    lockRelease(this.config.i32, off);
  }

  /**
   * Takes the memseg lock, which guards segment state (page allocation).
   * Taken over from a dead process, the used-segment counts are recounted
   * from the segment table (the one thing it may have left half updated).
   */
  lockMemseg(): void {
    this.lock(LOCK_MEMSEG, () => this.#recountSegments());
  }

  #recountSegments(): void {
    for (const l of this.lists) {
      if ((l.flags & ML_F_EXTERNAL) !== 0) continue;
      let used = 0;
      for (let s = 0; s < l.nSegs; s++) if ((segState(this.config, l, s) & SEG_F_USED) !== 0) used++;
      this.config.u32[(this.config.listEntry(l.index) + ML_USED_SEGS) >> 2] = used;
    }
  }

  /** Releases the memseg lock. */
  unlockMemseg(): void {
    this.unlock(LOCK_MEMSEG);
  }

  /**
   * Backs `count` pages of list `index` from segment `first` with memory
   * (the caller holds the memseg lock). Returns 0 or a negated errno
   * (-ENOMEM when the system has no pages left, -EPERM in legacy mode and on
   * the fixed sab backend).
   */
  backPages(index: number, first: number, count: number): number {
    const list = this.#byIndex[index];
    if (list === undefined || first < 0 || count <= 0 || first + count > list.nSegs) return -22;
    if (this.backend === 'sab' || this.legacyMem) return -1;
    return backPages(this.config, list, first, count, 0, new Set(this.lists.map((l) => l.socketId)).size > 1);
  }

  /**
   * Gives `count` pages of list `index` from segment `first` back to the OS
   * (the caller holds the memseg lock and nothing lives in them). Returns 0
   * or a negated errno.
   */
  releasePages(index: number, first: number, count: number): number {
    const list = this.#byIndex[index];
    if (list === undefined || first < 0 || count <= 0 || first + count > list.nSegs) return -22;
    if (this.backend === 'sab' || this.legacyMem) return -1;
    return releasePages(this.config, list, first, count);
  }

  /**
   * Registers a user's SharedArrayBuffer as an external memseg list (for an
   * external heap) and attaches it to this handle. Other threads attach the
   * same buffer with {@link Eal.attachExternalList}. Throws EINVAL for a
   * buffer that is not a SharedArrayBuffer, is empty, larger than LIST_SPAN or
   * not a whole number of pages; ENOSPC when the list table is full.
   *
   * @see rte_extmem_register
   */
  registerExternalList(buffer: SharedArrayBuffer, pageSize: number, socketId: number): MemsegListMap {
    this.#checkOpen();
    if (!(buffer instanceof SharedArrayBuffer)) throw new RteError('EINVAL', 'external memory must be a SharedArrayBuffer');
    if (!Number.isSafeInteger(pageSize) || pageSize < 64 || (pageSize & (pageSize - 1)) !== 0) {
      throw new RteError('EINVAL', `external page size must be a power of two of at least 64, not ${String(pageSize)}`);
    }
    const len = buffer.byteLength;
    if (len === 0 || len > LIST_SPAN || len % pageSize !== 0) {
      throw new RteError('EINVAL', `external memory of ${len} bytes: use 1 to ${LIST_SPAN / pageSize} whole pages of ${pageSize} bytes`);
    }
    this.lock(LOCK_CONFIG);
    try {
      let index = -1;
      for (let i = 1; i <= MAX_LISTS; i++) {
        if (this.config.readList(i) === null) {
          index = i;
          break;
        }
      }
      if (index < 0) throw new RteError('ENOSPC', `all ${MAX_LISTS} memseg lists are in use: remove external memory first`);
      const d = { index, flags: ML_F_EXTERNAL, socketId, pageSize, nSegs: len / pageSize, segTable: 0, length: len, fileName: '' };
      this.config.writeList(d);
      const map = new MemsegListMap(d, buffer, -1);
      this.config.u32[(this.config.listEntry(index) + ML_USED_SEGS) >> 2] = d.nSegs;
      this.config.f64[(this.config.listEntry(index) + ML_EXT_VA) >> 3] = Number(map.va);
      this.#byIndex[index] = map;
      return map;
    } finally {
      this.unlock(LOCK_CONFIG);
    }
  }

  /**
   * Attaches, in this thread, the buffer of external list `index` that
   * another thread registered. Throws EINVAL when `index` is not an external
   * list or the buffer does not match it.
   *
   * @see rte_extmem_attach
   */
  attachExternalList(index: number, buffer: SharedArrayBuffer): MemsegListMap {
    const d = this.config.readList(index);
    if (d === null || (d.flags & ML_F_EXTERNAL) === 0) throw new RteError('EINVAL', `memseg list ${index} is not external memory`);
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== d.length) {
      throw new RteError('EINVAL', `external list ${index} has ${d.length} bytes: attach the same SharedArrayBuffer that was registered`);
    }
    const map = new MemsegListMap(d, buffer, -1);
    const va = this.config.f64[(this.config.listEntry(index) + ML_EXT_VA) >> 3]!;
    if (va !== 0 && map.va !== 0n && Number(map.va) !== va) {
      throw new RteError('EINVAL', `that buffer is not the one registered as external list ${index}`);
    }
    this.#byIndex[index] = map;
    return map;
  }

  /** Removes external list `index` from the table (the caller made sure nothing uses it). */
  unregisterExternalList(index: number): void {
    this.lock(LOCK_CONFIG);
    try {
      const d = this.config.readList(index);
      if (d === null || (d.flags & ML_F_EXTERNAL) === 0) throw new RteError('EINVAL', `memseg list ${index} is not external memory`);
      this.config.clearList(index);
      this.#byIndex[index] = undefined;
    } finally {
      this.unlock(LOCK_CONFIG);
    }
  }

  /** Detaches external list `index` from this handle only. */
  detachExternalList(index: number): void {
    const m = this.#byIndex[index];
    if (m !== undefined && (m.flags & ML_F_EXTERNAL) !== 0) this.#byIndex[index] = undefined;
  }

  /** Descriptors of every list in the table (internal and external), in index order. */
  listDescriptors(): ListDescriptor[] {
    const out: ListDescriptor[] = [];
    for (let i = 1; i <= MAX_LISTS; i++) {
      const d = this.config.readList(i);
      if (d !== null) out.push(d);
    }
    return out;
  }

  /** Segments of list `index` currently backed by memory. */
  usedSegments(index: number): number {
    return this.config.u32[(this.config.listEntry(index) + ML_USED_SEGS) >> 2]!;
  }

  /** A short description: prefix, backend and why, lists, lcores. */
  dump(): string {
    const lines = [
      `EAL '${this.filePrefix}': ${this.processType}, backend ${this.backend} (${this.backendReason})`,
      `  page size ${formatSize(this.pageSize)}${this.legacyMem ? ', legacy memory' : ''}${this.inMemory ? ', in memory' : ''}`,
    ];
    if (this.runtimeDir) lines.push(`  runtime dir ${this.runtimeDir}, page files in ${this.pageDir}`);
    for (const l of this.lists) {
      const used = this.usedSegments(l.index);
      lines.push(
        `  list ${l.index}: socket ${l.socketId}, ${l.nSegs} x ${formatSize(l.pageSize)}, ${used} backed (${formatSize(used * l.pageSize)}), ` +
          `addr 0x${l.baseAddr.toString(16)}${l.va !== 0n ? `, va 0x${l.va.toString(16)}` : ''}`,
      );
    }
    for (const c of this.lcores()) lines.push(`  lcore ${c.lcoreId}: ${c.role}, pid ${c.pid}, thread ${c.threadId}, socket ${c.socketId}`);
    return lines.join('\n');
  }
}
