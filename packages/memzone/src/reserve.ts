/**
 * Reserving a zone: the table's checks in DPDK's order, a free slot, the
 * memory from the heap (placed by socket, alignment, bound, page-size
 * flags and IOVA contiguity; the biggest free block for `len` 0; the
 * calling lcore's heap cache for a small plain zone), then the entry filled
 * in and published in the name index. The third class of the chain that
 * makes {@link Memzones} (see memzone.ts).
 *
 * @see lib/eal/common/eal_common_memzone.c (rte_memzone_reserve*, memzone_reserve_aligned_thread_unsafe) and rte_memzone.h in DPDK
 */
import { alignCeil, CACHE_LINE_SIZE, formatSize, IOVA_UNKNOWN, LIST_SPAN, RteError, segIovaWords, SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import { CACHE_MAX_SIZE } from '@rtemem/malloc-heap';
import { checkArgs, encodeName, label, nameHash } from './args.js';
import { flagNames, MEMZONE_IOVA_CONTIG, MEMZONE_SIZE_HINT_ONLY, pageSizesOf } from './flags.js';
import {
  MAX_MEMZONE,
  MZ_NEXT_SERIAL,
  MZE_ADDR,
  MZE_FLAGS,
  MZE_HASH,
  MZE_HUGEPAGE_SZ,
  MZE_IOVA_HI,
  MZE_IOVA_LO,
  MZE_LEN,
  MZE_NAME,
  MZE_NAME_LEN,
  MZE_SERIAL,
  MZE_SOCKET,
  MZE_STATE,
  MZS_LIVE,
  MZS_RESERVING,
} from './layout.js';
import { indexFind, indexInsert } from './name-index.js';
import { MemzoneWalk } from './walk.js';
import type { Memzone } from './zone.js';

/**
 * Reserving zones: the third class of the chain that makes
 * {@link Memzones}.
 */
export class MemzoneReserve extends MemzoneWalk {
  readonly #iova = new Uint32Array(2);

  /**
   * Reserves a zone of `len` bytes named `name`, aligned to `align` and not
   * crossing a multiple of `bound`, from the heap of `socket`, and records
   * it in the shared table. `len` is rounded up to a multiple of 64 (at
   * least 64); `len` 0 reserves the biggest free block (or, with a `bound`,
   * `bound` bytes). `align` below 64 becomes 64. Page-size flags
   * (MEMZONE_2MB, MEMZONE_1GB, ...) take memory of those page sizes only,
   * unless MEMZONE_SIZE_HINT_ONLY lets any other size do; MEMZONE_IOVA_CONTIG
   * asks for memory contiguous in IOVA where IOVAs are known.
   *
   * Checks in DPDK's order and throws RteError:
   * - ENOSPC: all MAX_MEMZONE zones exist;
   * - EINVAL / ENAMETOOLONG: `name` is not a non-empty string / is over 31 bytes of utf-8;
   * - EEXIST: a zone named `name` exists;
   * - EINVAL: `align` is not 0 or a power of two; `len` is not a whole number
   *   of bytes; `bound` is not 0 or a power of two at least the (rounded) length;
   *   `socket` is not SOCKET_ID_ANY or a socket with a heap; `flags` has a bit
   *   that is no MEMZONE_* flag;
   * - ENOMEM: no heap can hold it.
   *
   * @see rte_memzone_reserve, rte_memzone_reserve_aligned, rte_memzone_reserve_bounded
   */
  reserve(name: string, len: number, socket: number = SOCKET_ID_ANY, flags = 0, align = 64, bound = 0): Memzone {
    // Checks of the arguments alone run before the lock (a shorter hold
    // lets other threads and processes in); their errors are thrown below,
    // after the table's checks that DPDK makes first.
    let n = -1;
    let nameError: unknown = null;
    try {
      n = encodeName(name, 'reserve', this.nameBytes);
    } catch (err) {
      nameError = err;
    }
    const hash = n < 0 ? 0 : nameHash(this.nameBytes, n);
    const argError = checkArgs(name, len, socket, flags, align, bound);
    this.lock();
    try {
      if (this.liveCount() >= MAX_MEMZONE) {
        throw new RteError('ENOSPC', `${label(name)}: all ${MAX_MEMZONE} memzones (MAX_MEMZONE) are in use: free some first`);
      }
      if (n < 0) throw nameError;
      if (indexFind(this.u32, this.u8, this.area, this.nameBytes, n, hash) >= 0) {
        throw new RteError('EEXIST', `reserve: a memzone named ${JSON.stringify(name)} exists: look it up, or free it first`);
      }
      if (argError !== null) throw argError;
      const alignBytes = align < CACHE_LINE_SIZE ? CACHE_LINE_SIZE : align;
      const rounded = alignCeil(len, CACHE_LINE_SIZE);
      let requested = Math.max(CACHE_LINE_SIZE, rounded);

      // A slot exists: the count is below MAX_MEMZONE and matches the entries.
      const slot = this.freeSlot();
      if (slot < 0) throw new RteError('ENOSPC', `${label(name)}: no free memzone slot: free some first`);
      const e = this.entry(slot);
      Atomics.store(this.u32, (e + MZE_STATE) >> 2, MZS_RESERVING);
      this.markUsed(slot, true);

      const contig = (flags & MEMZONE_IOVA_CONTIG) !== 0;
      const pageSizes = pageSizesOf(flags);
      const hintOnly = (flags & MEMZONE_SIZE_HINT_ONLY) !== 0;
      let addr = 0;
      let zoneLen = 0;
      try {
        if (rounded === 0 && bound === 0) {
          // Blocks parked in lcore heap caches merge back first: the biggest
          // block may need them (socketStats' greatestFreeSize counts them so).
          this.heap.cacheReclaim();
          const got = this.heap.allocBiggest(socket, { align: alignBytes, bound, contig, pageSizes, hintOnly });
          if (got !== null) {
            addr = got.addr;
            this.f64[(e + MZE_ADDR) >> 3] = addr;
            zoneLen = this.heap.usableSize(addr);
          }
        } else {
          if (rounded === 0) requested = bound;
          // A small zone with no placement asks is a plain heap block: the
          // calling lcore's heap cache may hand one out without the heap lock.
          if (flags === 0 && bound === 0 && alignBytes === CACHE_LINE_SIZE && socket === SOCKET_ID_ANY && requested <= CACHE_MAX_SIZE) addr = this.heap.malloc(requested);
          if (addr === 0) addr = this.heap.allocPlaced(requested, socket, alignBytes, bound, contig, pageSizes, hintOnly);
          if (addr === 0 && this.heap.cacheReclaim() > 0) addr = this.heap.allocPlaced(requested, socket, alignBytes, bound, contig, pageSizes, hintOnly);
          // Recorded at once, so that a repair after this process dies gives the block back.
          this.f64[(e + MZE_ADDR) >> 3] = addr;
          zoneLen = requested;
        }
      } catch (err) {
        this.clear(e);
        this.markUsed(slot, false);
        if (err instanceof RteError && err.code === 'EINVAL') {
          throw new RteError('EINVAL', `${label(name)}: no heap on socket ${socket}: use SOCKET_ID_ANY or a socket with memory`, { cause: err });
        }
        throw err;
      }
      if (addr === 0) {
        this.clear(e);
        this.markUsed(slot, false);
        const what = rounded === 0 && bound === 0 ? 'any free block' : `${requested} bytes`;
        const where = ` (align ${alignBytes}${bound !== 0 ? `, bound ${bound}` : ''}${flags !== 0 ? `, flags ${flagNames(flags)}` : ''})`;
        const have = this.eal.pageSizes;
        if (pageSizes !== null && !hintOnly && !have.some((size) => pageSizes.includes(size))) {
          // No memseg list of any size asked for: no amount of freeing helps.
          throw new RteError(
            'ENOMEM',
            `${label(name)}: the EAL has no memory of ${pageSizes.map(formatSize).join(' or ')} pages${where}, only ${have.map(formatSize).join(', ')}: ` +
              `start it with hugepages of that size reserved and mounted (and no pageSize or hugeDir that leaves them out), ` +
              'or add MEMZONE_SIZE_HINT_ONLY to accept other page sizes',
          );
        }
        throw new RteError(
          'ENOMEM',
          `${label(name)}: no heap${socket === SOCKET_ID_ANY ? '' : ` on socket ${socket}`} has ${what}${where}` +
            `: free zones or memory, start the EAL with more memory${pageSizes !== null && !hintOnly ? ', or add MEMZONE_SIZE_HINT_ONLY to accept other page sizes' : ''}`,
        );
      }

      const u8 = this.u8;
      for (let k = 0; k < n; k++) u8[e + MZE_NAME + k] = this.nameBytes[k]!;
      for (let k = n; k < MZE_NAME_LEN; k++) u8[e + MZE_NAME + k] = 0;
      this.f64[(e + MZE_ADDR) >> 3] = addr;
      this.f64[(e + MZE_LEN) >> 3] = zoneLen;
      this.f64[(e + MZE_HUGEPAGE_SZ) >> 3] = this.heap.pageSizeOf(addr);
      this.#iovaOf(addr);
      this.u32[(e + MZE_IOVA_LO) >> 2] = this.#iova[0]!;
      this.u32[(e + MZE_IOVA_HI) >> 2] = this.#iova[1]!;
      this.i32[(e + MZE_SOCKET) >> 2] = this.heap.socketOf(addr);
      this.u32[(e + MZE_FLAGS) >> 2] = flags;
      this.u32[(e + MZE_HASH) >> 2] = hash;
      const serialWord = (this.area + MZ_NEXT_SERIAL) >> 2;
      const serial = this.u32[serialWord]! === 0 ? 1 : this.u32[serialWord]!;
      // Serials are u32 and never 0 (0 marks a free entry): after 2**32 - 1 comes 1.
      this.u32[serialWord] = serial === 0xffffffff ? 1 : serial + 1;
      this.u32[(e + MZE_SERIAL) >> 2] = serial;
      // Last: the entry is complete before anyone can find it.
      Atomics.store(this.u32, (e + MZE_STATE) >> 2, MZS_LIVE);
      indexInsert(this.u32, this.area, slot, hash);
      this.setLiveCount(this.liveCount() + 1);
      return this.handle(slot, name);
    } finally {
      this.unlock();
    }
  }

  // The IOVA of `addr` into #iova (low, high); both IOVA_UNKNOWN when unknown.
  #iovaOf(addr: number): void {
    const list = this.eal.list(Math.floor(addr / LIST_SPAN));
    if (list === undefined || !segIovaWords(this.eal.config, list, addr - list.baseAddr, this.#iova)) {
      this.#iova[0] = IOVA_UNKNOWN;
      this.#iova[1] = IOVA_UNKNOWN;
    }
  }
}
