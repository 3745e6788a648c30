/**
 * Socket heaps: made by the first handle from the memory the EAL reserved
 * (one heap per NUMA socket with memory), found by socket id, and the order
 * in which SOCKET_ID_ANY tries them (the main lcore's socket first).
 *
 * @see rte_eal_malloc_heap_init, malloc_socket_to_heap_id in lib/eal/common/malloc_heap.c (DPDK)
 */
import { lockAcquire, lockRelease, RteError, SEG_F_USED, segState, SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import type { HeapCore } from './elem.js';
import { lockLcore } from './journal.js';
import {
  EXTERNAL_HEAP_MIN_SOCKET_ID,
  HA_DEFAULT_HEAP,
  HA_INIT,
  HA_LOCK,
  HA_NEXT_EXT_SOCKET,
  HA_STATE_READY,
  HEAP_BYTES,
  HEAP_KIND_SOCKET,
  HEAP_KIND_UNUSED,
  HEAPS_OFF,
  HP_KIND,
  HP_NAME,
  HP_NAME_LEN,
  HP_SOCKET,
  MAX_HEAPS,
} from './layout.js';
import type { LcoreCaches } from './lcore-cache.js';

/**
 * Makes the socket heaps and gives them every page the EAL reserved, unless
 * another handle (in any thread or process) has. @see rte_eal_malloc_heap_init
 */
export function initSocketHeaps(c: HeapCore, caches: LcoreCaches): void {
  const cfg = c.cfg;
  const eal = c.eal;
  const area = c.area;
  const initWord = (area + HA_INIT) >> 2;
  if (Atomics.load(cfg.i32, initWord) === HA_STATE_READY) return;
  lockAcquire(cfg.i32, area + HA_LOCK, eal.pid, lockLcore(eal));
  try {
    if (Atomics.load(cfg.i32, initWord) === HA_STATE_READY) return;
    // A process that died half way through this leaves heaps half built:
    // nothing can have been allocated before READY, so start from scratch.
    cfg.u8.fill(0, area + HEAPS_OFF, area + HEAPS_OFF + MAX_HEAPS * HEAP_BYTES);
    const sockets = [...new Set(eal.lists.map((l) => l.socketId))].sort((a, b) => a - b);
    sockets.forEach((socket, h) => {
      cfg.writeString(c.heapOff(h) + HP_NAME, HP_NAME_LEN, `socket_${socket}`);
      c.hSetU32(h, HP_SOCKET, socket);
      c.hSetU32(h, HP_KIND, HEAP_KIND_SOCKET);
    });
    for (const list of eal.lists) {
      const h = sockets.indexOf(list.socketId);
      let start = -1;
      for (let seg = 0; seg <= list.nSegs; seg++) {
        const used = seg < list.nSegs && (segState(cfg, list, seg) & SEG_F_USED) !== 0;
        if (used && start < 0) start = seg;
        if (!used && start >= 0) {
          c.addMemory(h, list.baseAddr + start * list.pageSize, (seg - start) * list.pageSize);
          start = -1;
        }
      }
    }
    caches.initShared();
    const mainSocket = eal.lcores().find((l) => l.lcoreId === 0)?.socketId ?? sockets[0]!;
    cfg.i32[(area + HA_DEFAULT_HEAP) >> 2] = Math.max(0, sockets.indexOf(mainSocket));
    cfg.u32[(area + HA_NEXT_EXT_SOCKET) >> 2] = EXTERNAL_HEAP_MIN_SOCKET_ID;
    Atomics.store(cfg.i32, initWord, HA_STATE_READY);
  } finally {
    lockRelease(cfg.i32, area + HA_LOCK);
  }
}

/** The socket heaps in the order SOCKET_ID_ANY tries them: the main lcore's first. */
export function socketOrder(c: HeapCore): number[] {
  const def = c.cfg.i32[(c.area + HA_DEFAULT_HEAP) >> 2]!;
  const order = [def];
  for (let h = 0; h < MAX_HEAPS; h++) {
    if (h !== def && c.hU32(h, HP_KIND) === HEAP_KIND_SOCKET) order.push(h);
  }
  return order;
}

/** Socket id of heap `h`. */
export function socketOfHeap(c: HeapCore, h: number): number {
  return c.cfg.i32[(c.heapOff(h) + HP_SOCKET) >> 2]!;
}

/** The heap (socket or external) of socket id `socket`, or -1. @see malloc_socket_to_heap_id */
export function heapOfSocket(c: HeapCore, socket: number): number {
  for (let h = 0; h < MAX_HEAPS; h++) {
    if (c.hU32(h, HP_KIND) !== HEAP_KIND_UNUSED && socketOfHeap(c, h) === socket) return h;
  }
  return -1;
}

/** The heap of `socket`, -1 for SOCKET_ID_ANY; throws EINVAL for a socket without a heap. */
export function checkSocket(c: HeapCore, socket: unknown): number {
  if (socket === SOCKET_ID_ANY) return -1;
  const h = typeof socket === 'number' && Number.isInteger(socket) ? heapOfSocket(c, socket) : -1;
  if (h < 0) {
    throw new RteError('EINVAL', `no heap on socket ${String(socket)}: use SOCKET_ID_ANY, a socket with memory, or an external heap's socket (heapSocket(name))`);
  }
  return h;
}
