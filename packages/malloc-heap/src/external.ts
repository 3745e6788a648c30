/**
 * External heaps: named heaps over memory the user brings (a
 * SharedArrayBuffer per chunk, registered with the EAL as an external
 * memseg list), with socket ids from EXTERNAL_HEAP_MIN_SOCKET_ID up.
 * Creating and naming heaps takes the area lock (HA_LOCK); adding and
 * removing memory take the heap's lock.
 *
 * @see rte_malloc_heap_create, rte_malloc_heap_memory_add, rte_malloc_heap_memory_attach,
 *      rte_malloc_heap_memory_remove, rte_malloc_heap_destroy in lib/eal/common/rte_malloc.c;
 *      malloc_heap_create, malloc_heap_add_external_memory in malloc_heap.c (DPDK)
 */
import { lockAcquire, lockRelease, ML_F_EXT_SHARED, ML_F_EXTERNAL, type MemsegListMap, RteError } from '@rtemem/eal-hugepage';
import type { HeapCore } from './elem.js';
import { lockLcore } from './journal.js';
import { socketOfHeap } from './sockets.js';
import {
  EL_MAGIC,
  ELEM_FREE,
  ELEM_MAGIC,
  HA_LOCK,
  HA_NEXT_EXT_SOCKET,
  HEAP_BYTES,
  HEAP_KIND_EXTERNAL,
  HEAP_KIND_UNUSED,
  HEAP_NAME_MAX_LEN,
  HP_KIND,
  HP_NAME,
  HP_NAME_LEN,
  HP_SOCKET,
  HP_TOTAL,
  MAX_HEAPS,
  MIN_SPLIT,
} from './layout.js';

/** The heap named `name`, or -1. */
export function heapNamed(c: HeapCore, name: unknown): number {
  if (typeof name !== 'string') return -1;
  for (let h = 0; h < MAX_HEAPS; h++) {
    if (c.hU32(h, HP_KIND) !== HEAP_KIND_UNUSED && c.cfg.readString(c.heapOff(h) + HP_NAME, HP_NAME_LEN) === name) return h;
  }
  return -1;
}

/** The external heap named `name`; throws ENOENT or EPERM (a socket heap). */
function externalHeap(c: HeapCore, name: string): number {
  const h = heapNamed(c, name);
  if (h < 0) throw new RteError('ENOENT', `no heap named ${JSON.stringify(name)}: create it with createHeap`);
  if (c.hU32(h, HP_KIND) !== HEAP_KIND_EXTERNAL) throw new RteError('EPERM', `heap ${name} is a socket heap, not an external one`);
  return h;
}

/** This thread's mapping of `buffer` when it is heap memory, else undefined. */
function listOfBuffer(c: HeapCore, buffer: SharedArrayBuffer): MemsegListMap | undefined {
  for (const d of c.eal.listDescriptors()) {
    const m = c.eal.list(d.index);
    if (m !== undefined && m.sab === buffer) return m;
  }
  return undefined;
}

/** Creates empty external heap `name`: its socket id. @see rte_malloc_heap_create */
export function createHeap(c: HeapCore, name: string): number {
  if (typeof name !== 'string' || name.length === 0) throw new RteError('EINVAL', 'heap name must be a non-empty string');
  if (Buffer.byteLength(name) > HEAP_NAME_MAX_LEN) throw new RteError('ENAMETOOLONG', `heap name ${JSON.stringify(name)} is longer than ${HEAP_NAME_MAX_LEN} bytes`);
  const i32 = c.cfg.i32;
  const u32 = c.cfg.u32;
  lockAcquire(i32, c.area + HA_LOCK, c.eal.pid, lockLcore(c.eal));
  try {
    if (heapNamed(c, name) >= 0) throw new RteError('EEXIST', `a heap named ${JSON.stringify(name)} exists`);
    let h = -1;
    for (let i = 0; i < MAX_HEAPS; i++) {
      if (c.hU32(i, HP_KIND) === HEAP_KIND_UNUSED) {
        h = i;
        break;
      }
    }
    if (h < 0) throw new RteError('ENOSPC', `all ${MAX_HEAPS} heaps exist: destroy one first`);
    const socket = u32[(c.area + HA_NEXT_EXT_SOCKET) >> 2]!;
    u32[(c.area + HA_NEXT_EXT_SOCKET) >> 2] = socket + 1;
    const off = c.heapOff(h);
    // Everything after the lock line: the name, counters and free lists of a heap destroyed before.
    c.cfg.u8.fill(0, off + HP_NAME, off + HEAP_BYTES);
    c.cfg.writeString(off + HP_NAME, HP_NAME_LEN, name);
    c.hSetU32(h, HP_SOCKET, socket);
    // Last: the heap is found by name only once it is complete.
    Atomics.store(u32, (off + HP_KIND) >> 2, HEAP_KIND_EXTERNAL);
    return socket;
  } finally {
    lockRelease(i32, c.area + HA_LOCK);
  }
}

/** The socket id of heap `name`; throws ENOENT. @see rte_malloc_heap_get_socket */
export function heapSocket(c: HeapCore, name: string): number {
  const h = heapNamed(c, name);
  if (h < 0) throw new RteError('ENOENT', `no heap named ${JSON.stringify(name)}`);
  return socketOfHeap(c, h);
}

/** Adds `buffer` to external heap `heapName` as free memory. @see rte_malloc_heap_memory_add */
export function addMemory(c: HeapCore, heapName: string, buffer: SharedArrayBuffer, pageSize: number): void {
  const h = externalHeap(c, heapName);
  // Less than a header and the smallest block is no heap element at all.
  if (buffer instanceof SharedArrayBuffer && buffer.byteLength < MIN_SPLIT) {
    throw new RteError('EINVAL', `external memory of ${buffer.byteLength} bytes holds no block: add at least ${MIN_SPLIT} bytes`);
  }
  if (buffer instanceof SharedArrayBuffer && listOfBuffer(c, buffer) !== undefined) {
    throw new RteError('EEXIST', 'that buffer is already heap memory');
  }
  const list = c.eal.registerExternalList(buffer, pageSize, socketOfHeap(c, h));
  c.refreshLists();
  c.lock(h);
  try {
    c.addMemory(h, list.baseAddr, list.length);
    c.commit();
  } finally {
    c.unlock(h);
  }
}

/** Maps, in this thread, `buffer` that another thread added to `heapName`. @see rte_malloc_heap_memory_attach */
export function attachMemory(c: HeapCore, heapName: string, buffer: SharedArrayBuffer): void {
  externalHeap(c, heapName);
  const socket = heapSocket(c, heapName);
  const candidates = c.eal.listDescriptors().filter((d) => (d.flags & ML_F_EXTERNAL) !== 0 && d.socketId === socket && d.length === buffer.byteLength && c.eal.list(d.index) === undefined);
  let lastError: unknown = new RteError('ENOENT', `heap ${heapName} has no memory of ${buffer.byteLength} bytes to attach`);
  for (const d of candidates) {
    try {
      c.eal.attachExternalList(d.index, buffer);
      c.refreshLists();
      return;
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/** Takes `buffer` out of external heap `heapName`; throws EBUSY while a block in it is allocated. @see rte_malloc_heap_memory_remove */
export function removeMemory(c: HeapCore, heapName: string, buffer: SharedArrayBuffer): void {
  const h = externalHeap(c, heapName);
  const list = listOfBuffer(c, buffer);
  if (list === undefined || list.socketId !== heapSocket(c, heapName)) {
    throw new RteError('ENOENT', `that buffer is not memory of heap ${heapName} in this thread`);
  }
  removeList(c, h, heapName, list);
}

// Takes external list `list` out of heap `h` and the list table; EBUSY while a block in it is allocated.
function removeList(c: HeapCore, h: number, heapName: string, list: MemsegListMap): void {
  c.lock(h);
  try {
    const e = list.baseAddr;
    // One free element spanning the whole buffer: nothing in it is allocated.
    if (c.u32(e, EL_MAGIC) !== ELEM_MAGIC || c.state(e) !== ELEM_FREE || c.size(e) !== list.length) {
      throw new RteError('EBUSY', `heap ${heapName} still has blocks allocated in that buffer: free them first`);
    }
    c.flRemove(h, e);
    c.unlink(h, e);
    c.setU32(e, EL_MAGIC, 0);
    c.hSetF64(h, HP_TOTAL, c.hF64(h, HP_TOTAL) - list.length);
    c.commit();
  } finally {
    c.unlock(h);
  }
  c.eal.unregisterExternalList(list.index);
  c.refreshLists();
}

/**
 * Creates `len` bytes of shared external memory named `name` (a memfd; of
 * hugepages when `pageSize` is a hugepage size) and adds it to external heap
 * `heapName`. Any process of the EAL maps it with attachMemoryShared.
 * Returns the rtemem address of its first byte.
 * @see rte_extmem_register, rte_malloc_heap_memory_add
 */
export function addMemoryShared(c: HeapCore, heapName: string, name: string, len: number, pageSize: number): number {
  const h = externalHeap(c, heapName);
  if (Number.isSafeInteger(len) && len > 0 && len < MIN_SPLIT) {
    throw new RteError('EINVAL', `external memory of ${len} bytes holds no block: add at least ${MIN_SPLIT} bytes`);
  }
  const list = c.eal.registerSharedExternalList(name, len, pageSize, socketOfHeap(c, h));
  c.refreshLists();
  try {
    c.lock(h);
    try {
      c.addMemory(h, list.baseAddr, list.length);
      c.commit();
    } finally {
      c.unlock(h);
    }
  } catch (e) {
    c.eal.unregisterExternalList(list.index);
    c.refreshLists();
    throw e;
  }
  return list.baseAddr;
}

/** Shared external list `name` of heap `heapName`, as this thread maps it (undefined when it does not). */
function sharedListOf(c: HeapCore, heapName: string, name: string): MemsegListMap | undefined {
  const h = externalHeap(c, heapName);
  const index = c.eal.sharedExternalIndex(name);
  if (index < 0) throw new RteError('ENOENT', `no shared external memory named ${JSON.stringify(name)}`);
  const d = c.eal.config.readList(index)!;
  if (d.socketId !== socketOfHeap(c, h)) throw new RteError('EINVAL', `shared external memory ${name} is not memory of heap ${heapName}`);
  return c.eal.list(index);
}

/**
 * Maps, in this thread (of this or another process), shared external memory
 * `name` of heap `heapName`, so that blocks in it can be allocated, used and
 * freed here. Doing it twice is harmless.
 * @see rte_malloc_heap_memory_attach, rte_extmem_attach
 */
export function attachMemoryShared(c: HeapCore, heapName: string, name: string): void {
  const had = sharedListOf(c, heapName, name);
  // The EAL keeps a map that is still good, and replaces a stale one (memory removed and added again).
  if (c.eal.attachSharedExternalList(name) !== had) c.refreshLists();
}

/** Unmaps shared external memory `name` of heap `heapName` in this thread only. @see rte_malloc_heap_memory_detach */
export function detachMemoryShared(c: HeapCore, heapName: string, name: string): void {
  const list = sharedListOf(c, heapName, name);
  if (list === undefined) throw new RteError('ENOENT', `shared external memory ${name} is not attached in this thread`);
  c.eal.detachExternalList(list.index);
  c.refreshLists();
}

/**
 * Takes shared external memory `name` out of heap `heapName` and the list
 * table (EBUSY while a block in it is allocated); it is unmapped here, and
 * its memfd closed when this handle created it. Other processes should
 * detach it first.
 * @see rte_malloc_heap_memory_remove, rte_extmem_unregister
 */
export function removeMemoryShared(c: HeapCore, heapName: string, name: string): void {
  const h = externalHeap(c, heapName);
  let list = sharedListOf(c, heapName, name);
  if (list === undefined) {
    // Removable from a thread that never mapped it: map it to check that it is empty.
    attachMemoryShared(c, heapName, name);
    list = sharedListOf(c, heapName, name)!;
  }
  if ((list.flags & ML_F_EXT_SHARED) === 0) throw new RteError('EINVAL', `${name} is not shared external memory`);
  removeList(c, h, heapName, list);
}

/** Destroys empty external heap `name`; throws EBUSY while it has memory. @see rte_malloc_heap_destroy */
export function destroyHeap(c: HeapCore, name: string): void {
  const h = externalHeap(c, name);
  c.lock(h);
  try {
    if (c.hF64(h, HP_TOTAL) !== 0) throw new RteError('EBUSY', `heap ${name} still has memory: removeMemory first`);
    Atomics.store(c.cfg.u32, (c.heapOff(h) + HP_KIND) >> 2, HEAP_KIND_UNUSED);
    c.cfg.u8.fill(0, c.heapOff(h) + HP_NAME, c.heapOff(h) + HP_NAME + HP_NAME_LEN);
  } finally {
    c.unlock(h);
  }
}
