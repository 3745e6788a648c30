/**
 * What a primary does at init: claim the file prefix, plan memory per
 * socket and memseg lists, create the config region and the lists, reserve
 * the memory asked for up front, and take lcore 0. Each step is a function
 * of its own; {@link initPrimary} runs them in order and undoes them all
 * when one fails.
 *
 * @see rte_eal_init, rte_eal_config_create, rte_eal_memory_init,
 * eal_dynmem_memseg_lists_init, eal_dynmem_hugepage_init in DPDK lib/eal
 */
import { openSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { type Backend, backendCode, type BackendChoice, chooseBackend, formatSize, moreHugepagesHint, type PageSizeChoice } from './backend.js';
import { alignCeil, alignFloor } from './common.js';
import { ConfigRegion, configSizeFor, type ListDescriptor } from './config.js';
import { ENOMEM, errnoName, fromErrno, RteError } from './errors.js';
import { numaNodes } from './hugepage-info.js';
import { type EalParts, InitUndo } from './init-parts.js';
import {
  AREAS_DEFAULT_SIZE,
  AREAS_START,
  CONFIG_F_IN_MEMORY,
  CONFIG_F_LEGACY_MEM,
  CONFIG_MAGIC,
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
  LCORE_ROLE_MAIN,
  LIST_SPAN,
  MAX_LISTS,
  SEG_ENTRY_BYTES,
  SEG_F_DO_NOT_FREE,
} from './layout.js';
import { currentSocket, lcoreClaim } from './lcore.js';
import { backPages, mapListFile, markBacked, MemsegListMap } from './memseg-list.js';
import { native } from './native.js';
import type { InitOptions } from './options.js';
import { claimPrefix } from './prefix-claim.js';
import { geteuid, selfStartTime } from './process-info.js';
import { configPathFor, pageFileName } from './runtime-dir.js';
import { mapListBuffer, sabListBuffer } from './wasm-memory.js';

/** One memseg list to create: its page size, socket and bytes of address space. */
export interface ListPlan {
  pageSize: number;
  socketId: number;
  length: number;
}

/**
 * Bytes to reserve up front, by page size (smallest first) and then by
 * socket; every size has an entry for every socket (0 when none).
 */
export type MemoryBySize = Map<number, Map<number, number>>;

/**
 * Initialises a primary (see Eal.init). Returns null, having made nothing,
 * when `o.processType` is 'auto' and a live primary holds the prefix (the
 * caller then becomes a secondary). Throws EBUSY when one does and
 * processType is 'primary'; else whatever a step throws, after undoing the
 * steps before it.
 */
export function initPrimary(o: InitOptions): EalParts | null {
  const choice: BackendChoice = chooseBackend(o.backend, {
    pageSize: o.pageSize,
    hugeDir: o.hugeDir,
    memory: o.socketMemory ? o.socketMemory.reduce((a, b) => a + b, 0) : o.memory,
    inMemory: o.inMemory,
  });
  const files = choice.backend !== 'sab' && !o.inMemory;
  const undo = new InitUndo();
  try {
    let runtimeDir = '';
    let configFd = -1;
    let staleFilesRemoved: string[] = [];
    if (files) {
      const claim = claimPrefix(o.filePrefix, undo);
      if (claim === null) {
        if (o.processType === 'auto') return null;
        throw new RteError(
          'EBUSY',
          `another primary process is running with file prefix '${o.filePrefix}' (${configPathFor(o.filePrefix)} is locked): ` +
            "use another filePrefix, or processType 'secondary' to attach to it",
        );
      }
      ({ runtimeDir, configFd, staleFilesRemoved } = claim);
    }

    const sockets = choice.backend === 'sab' ? [0] : numaNodes();
    const mainSocket = currentSocket(sockets);
    const memPerSocket = planMemory(o, sockets, mainSocket, choice.pageSize);
    const bySize = planPages(memPerSocket, choice.sizes);
    const plan = planLists(bySize, choice.backend === 'sab', o.maxMemory);

    const flags = (o.legacyMem ? CONFIG_F_LEGACY_MEM : 0) | (o.inMemory ? CONFIG_F_IN_MEMORY : 0);
    const segCounts = plan.map((p) => p.length / p.pageSize);
    const config = createConfig(configSizeFor(AREAS_DEFAULT_SIZE, segCounts), configFd, o.filePrefix, undo);
    writeHeader(config, choice, flags, plan.length, sum(memPerSocket.values()));
    const lists = createLists(config, plan, choice, o.filePrefix, files, undo);
    reserveUpFront(config, lists, bySize, choice.backend);

    // The main thread is lcore 0; the config is ready for secondaries only then.
    const lcore = lcoreClaim(config, 0, LCORE_ROLE_MAIN, process.pid, selfStartTime, threadId, mainSocket);
    Atomics.store(config.i32, HDR_STATE >> 2, CONFIG_STATE_READY);
    return {
      processType: 'primary',
      backend: choice.backend,
      backendReason: choice.reason,
      filePrefix: o.filePrefix,
      runtimeDir,
      pageDir: choice.pageDir,
      pageSize: choice.pageSize,
      flags,
      config,
      lists,
      configFd,
      isWorker: false,
      staleFilesRemoved,
      lcore,
      readOnly: false,
    };
  } catch (e) {
    undo.run();
    throw e;
  }
}

function sum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/**
 * Bytes to reserve up front on each socket, in whole pages of `pageSize`
 * (the smallest page size): `socketMemory` where given (EINVAL for memory
 * on a socket that does not exist), else all of `memory` on `mainSocket`.
 * Every socket has an entry (0 when none).
 *
 * @see eal_dynmem_calc_num_pages_per_socket
 */
export function planMemory(
  o: Pick<InitOptions, 'memory' | 'socketMemory'>,
  sockets: readonly number[],
  mainSocket: number,
  pageSize: number,
): Map<number, number> {
  const perSocket = new Map<number, number>();
  for (const s of sockets) perSocket.set(s, 0);
  if (o.socketMemory === null) {
    perSocket.set(mainSocket, alignCeil(o.memory, pageSize));
    return perSocket;
  }
  o.socketMemory.forEach((bytes, s) => {
    if (bytes === 0) return;
    if (!perSocket.has(s)) {
      throw new RteError('EINVAL', `socketMemory asks for memory on socket ${s}, which does not exist (sockets: ${sockets.join(', ')})`);
    }
    perSocket.set(s, alignCeil(bytes, pageSize));
  });
  return perSocket;
}

// Free pages of `size` on `socket`: the node's count, or the global one
// when the system has no per-node counts.
function freeOn(size: PageSizeChoice, socket: number): number {
  if (size.freePerNode === null) return size.free;
  return size.freePerNode.get(socket) ?? 0;
}

/**
 * Splits each socket's memory between the page sizes as DPDK does: the
 * largest size first, as many whole pages as fit in what is left and are
 * free on that socket, then the next size down; when a larger size has
 * pages to spare and the smaller sizes cannot hold the rest, one more
 * page of the larger size takes it. Throws ENOMEM, with the free pages and
 * what to do, when a socket's memory cannot be covered.
 *
 * @see eal_dynmem_calc_num_pages_per_socket in DPDK eal_common_dynmem.c
 */
export function planPages(memPerSocket: ReadonlyMap<number, number>, sizes: readonly PageSizeChoice[]): MemoryBySize {
  const ascending = [...sizes].sort((a, b) => a.pageSize - b.pageSize);
  const largestFirst = [...ascending].reverse();
  const bySize: MemoryBySize = new Map();
  for (const size of ascending) bySize.set(size.pageSize, new Map([...memPerSocket.keys()].map((s) => [s, 0])));
  for (const [socket, mem] of memPerSocket) {
    let left = mem;
    for (let i = 0; i < largestFirst.length && left > 0; i++) {
      const size = largestFirst[i]!;
      const free = freeOn(size, socket);
      let pages = Math.min(Math.floor(left / size.pageSize), free);
      left -= pages * size.pageSize;
      if (left > 0 && pages < free) {
        // Pages of this size to spare: do the smaller sizes hold the rest?
        let smaller = 0;
        for (let j = i + 1; j < largestFirst.length; j++) smaller += largestFirst[j]!.pageSize * freeOn(largestFirst[j]!, socket);
        if (smaller < left) {
          pages++;
          left = 0;
        }
      }
      bySize.get(size.pageSize)!.set(socket, pages * size.pageSize);
    }
    if (left > 0) {
      const have = ascending.map((sz) => `${freeOn(sz, socket)} x ${formatSize(sz.pageSize)}`).join(' + ');
      throw new RteError(
        'ENOMEM',
        `cannot reserve ${formatSize(mem)} on socket ${socket}: its free hugepages (${have}) hold ${formatSize(mem - left)}: ${moreHugepagesHint(ascending[0]!.pageSize)}`,
      );
    }
  }
  return bySize;
}

/**
 * The memseg lists to create, one set per page size (smallest first) and
 * socket (DPDK's memory types), each list at most LIST_SPAN. The sab
 * backend gets exactly the memory asked for (it cannot grow); the others
 * get address space for max(memory of that size, maxMemory or LIST_SPAN)
 * per page size and socket, in lists of whole pages, to grow into. Throws
 * EINVAL when a page is larger than a list or more than MAX_LISTS lists
 * would be needed.
 *
 * @see eal_dynmem_memseg_lists_init
 */
export function planLists(bySize: MemoryBySize, sab: boolean, maxMemory: number | null): ListPlan[] {
  const plan: ListPlan[] = [];
  for (const [pageSize, memPerSocket] of bySize) {
    const perList = alignFloor(LIST_SPAN, pageSize);
    if (perList === 0) throw new RteError('EINVAL', `pageSize ${formatSize(pageSize)} is larger than a memseg list (${formatSize(LIST_SPAN)})`);
    for (const [socketId, mem] of memPerSocket) {
      if (sab) {
        for (let left = mem; left > 0; left -= LIST_SPAN) plan.push({ pageSize, socketId, length: Math.min(LIST_SPAN, left) });
        continue;
      }
      const capacity = Math.max(mem, maxMemory ?? LIST_SPAN);
      for (let left = capacity; left > 0; left -= perList) plan.push({ pageSize, socketId, length: perList });
    }
  }
  if (plan.length > MAX_LISTS) {
    const sizes = [...bySize.keys()].map(formatSize).join(', ');
    throw new RteError('EINVAL', `${plan.length} memseg lists needed (page sizes ${sizes}), at most ${MAX_LISTS}: ask for less memory or maxMemory, or one pageSize`);
  }
  return plan;
}

// The config region: the locked config file mapped (or a plain buffer).
function createConfig(size: number, configFd: number, prefix: string, undo: InitUndo): ConfigRegion {
  if (configFd < 0) return new ConfigRegion(new SharedArrayBuffer(size));
  ftruncateSync(configFd, size);
  const sab = mapListFile(configFd, size, `config region of '${prefix}'`);
  undo.buffers.push(sab);
  return new ConfigRegion(sab);
}

// The header every secondary checks before it trusts the rest.
function writeHeader(config: ConfigRegion, choice: BackendChoice, flags: number, listCount: number, memory: number): void {
  config.u32[HDR_MAGIC >> 2] = CONFIG_MAGIC;
  config.u32[HDR_VERSION >> 2] = CONFIG_VERSION;
  config.u32[HDR_SIZE >> 2] = config.u8.length;
  config.u32[HDR_OWNER_UID >> 2] = geteuid();
  config.i32[HDR_PRIMARY_PID >> 2] = process.pid;
  config.f64[HDR_PRIMARY_START >> 3] = selfStartTime;
  config.u32[HDR_BACKEND >> 2] = backendCode(choice.backend);
  config.u32[HDR_FLAGS >> 2] = flags;
  config.u32[HDR_LIST_COUNT >> 2] = listCount;
  config.f64[HDR_PAGE_SIZE >> 3] = choice.pageSize;
  config.f64[HDR_MEMORY >> 3] = memory;
  config.u32[HDR_AREAS_OFF >> 2] = AREAS_START;
  config.u32[HDR_AREAS_SIZE >> 2] = AREAS_DEFAULT_SIZE;
  config.u32[HDR_AREAS_USED >> 2] = 0;
  config.writeString(HDR_PAGE_DIR, HDR_PAGE_DIR_LEN, choice.pageDir);
  config.writePageSizes(choice.sizes.map((sz) => ({ pageSize: sz.pageSize, dir: sz.dir })));
}

// The lists: one file (or memfd, or plain buffer) each, mapped whole, with
// their descriptors and segment tables (after the areas) in the config.
function createLists(config: ConfigRegion, plan: readonly ListPlan[], choice: BackendChoice, prefix: string, files: boolean, undo: InitUndo): MemsegListMap[] {
  const lists: MemsegListMap[] = [];
  let segTable = AREAS_START + AREAS_DEFAULT_SIZE;
  plan.forEach((p, i) => {
    const index = i + 1;
    const pageSize = p.pageSize;
    const fileName = files ? pageFileName(prefix, index) : '';
    const d: ListDescriptor = { index, flags: 0, socketId: p.socketId, pageSize, nSegs: p.length / pageSize, segTable, length: p.length, fileName };
    segTable += d.nSegs * SEG_ENTRY_BYTES;
    config.writeList(d);
    if (choice.backend === 'sab') {
      // A WebAssembly memory's buffer, for @rtemem/ring-wasm (wasm-memory.ts).
      lists.push(new MemsegListMap(d, sabListBuffer(p.length), -1));
      return;
    }
    let fd: number;
    if (files) {
      // Each page size's files live on that size's mount.
      const path = join(choice.sizes.find((sz) => sz.pageSize === pageSize)!.dir, fileName);
      fd = openSync(path, 'w+', 0o600);
      undo.paths.push(path);
    } else {
      fd = native()!.memfdCreate(`rtemem_${prefix}_${index}`, choice.backend === 'hugetlbfs' ? pageSize : 0);
      if (fd < 0) throw fromErrno(fd, `cannot create an in-memory file for memseg list ${index}`);
    }
    undo.fds.push(fd);
    if (choice.backend === 'anonymous') ftruncateSync(fd, p.length);
    // The file mapped over a WebAssembly memory's pages, for @rtemem/ring-wasm (wasm-memory.ts).
    const sab = mapListBuffer(fd, p.length, pageSize, `memseg list ${index}`);
    undo.buffers.push(sab);
    lists.push(new MemsegListMap(d, sab, fd));
  });
  return lists;
}

/**
 * Backs the memory asked for at init with pages, page size by page size,
 * first list first on each socket. These pages are never given back
 * (DPDK's DO_NOT_FREE). Throws what {@link reserveError} says when the
 * system cannot give them.
 */
function reserveUpFront(config: ConfigRegion, lists: readonly MemsegListMap[], bySize: MemoryBySize, backend: Backend): void {
  for (const [pageSize, memPerSocket] of bySize) {
    // With more than one socket, each page is bound to its list's node.
    const bindNode = memPerSocket.size > 1;
    for (const [socketId, bytes] of memPerSocket) {
      let pages = bytes / pageSize;
      for (const list of lists) {
        if (pages === 0) break;
        if (list.socketId !== socketId || list.pageSize !== pageSize) continue;
        const take = Math.min(pages, list.nSegs);
        if (backend === 'sab') {
          // Memory that always exists: only marked as backed.
          markBacked(config, list, 0, take, SEG_F_DO_NOT_FREE);
        } else {
          const r = backPages(config, list, 0, take, SEG_F_DO_NOT_FREE, bindNode);
          if (r < 0) throw reserveError(r, bytes, pageSize, socketId, backend);
        }
        pages -= take;
      }
    }
  }
}

/**
 * The error for memory that could not be reserved at init: the errno's
 * name as code, and for ENOMEM what to do about it (more hugepages, or a
 * cgroup limit to look at, on hugetlbfs; less memory on either backend).
 */
export function reserveError(errno: number, bytes: number, pageSize: number, socketId: number, backend: Backend): RteError {
  const what = `cannot reserve ${formatSize(bytes)} of ${formatSize(pageSize)} pages on socket ${socketId} (${fromErrno(errno, 'fallocate').message})`;
  let hint = '';
  if (errno === -ENOMEM) hint = backend === 'hugetlbfs' ? `: ${moreHugepagesHint(pageSize)}` : ': ask for less memory';
  return new RteError(errnoName(errno), what + hint);
}
