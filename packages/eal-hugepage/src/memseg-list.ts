/**
 * A memseg list as one thread sees it: the list's descriptor, its one
 * SharedArrayBuffer (the whole list's address range, mapped once per
 * process) with views, and page backing and release.
 *
 * A list is one file (hugetlbfs, /dev/shm or memfd) mapped shared and
 * unreserved over its full length; pages get memory with fallocate and give
 * it back with a punched hole, so every process that maps the file sees
 * pages come and go without remapping anything.
 *
 * @see struct rte_memseg_list, eal_memalloc_alloc_seg_bulk in DPDK
 */
import { IOVA_UNKNOWN, iovaFromWords, iovaToWords } from './common.js';
import { BAD_IOVA } from './constants.js';
import type { ConfigRegion, ListDescriptor } from './config.js';
import { EINVAL, ENOMEM, ENOSPC, ENOTSUP, fromErrno } from './errors.js';
import { LIST_SPAN, ML_F_EXTERNAL, ML_USED_SEGS, SEG_ENTRY_BYTES, SEG_F_USED, SEG_IOVA_HI, SEG_IOVA_LO, SEG_STATE } from './layout.js';
import { native } from './native.js';
import { SharedViews } from './views.js';


/** One memseg list mapped in this thread. */
export class MemsegListMap extends SharedViews {
  readonly index: number;
  readonly socketId: number;
  readonly pageSize: number;
  /** log2(pageSize): the segment of offset `off` is `off >>> pageShift`. */
  readonly pageShift: number;
  readonly nSegs: number;
  /** Bytes of address space (nSegs * pageSize). */
  readonly length: number;
  /** rtemem address of byte 0 of the list. */
  readonly baseAddr: number;
  /** Offset of this list's segment table in the config region. */
  readonly segTable: number;
  /** Name of the list's file in the page directory ('' when it has none). */
  readonly fileName: string;
  /** File descriptor of the list's file in this process, -1 without one (sab). */
  readonly fd: number;
  /** Process virtual address of byte 0, 0n when unknown (sab backend). */
  readonly va: bigint;

  /** ML_F_* bits (ML_F_EXTERNAL for a user's buffer). */
  readonly flags: number;

  constructor(d: ListDescriptor, sab: SharedArrayBuffer, fd: number) {
    super(sab);
    this.index = d.index;
    this.socketId = d.socketId;
    this.pageSize = d.pageSize;
    this.pageShift = Math.round(Math.log2(d.pageSize));
    this.nSegs = d.nSegs;
    this.length = d.length;
    this.baseAddr = d.index * LIST_SPAN;
    this.segTable = d.segTable;
    this.fileName = d.fileName;
    this.fd = fd;
    this.flags = d.flags;
    const n = native();
    // External buffers live in the JS heap, whose address is real too.
    this.va = (fd >= 0 || (d.flags & ML_F_EXTERNAL) !== 0) && n !== null ? n.addressOf(sab) : 0n;
  }

  /** Byte offset in the config of segment `seg`'s entry. */
  segEntry(seg: number): number {
    return this.segTable + seg * SEG_ENTRY_BYTES;
  }
}

/** The state bits of segment `seg` (0 when the page has no memory). */
export function segState(cfg: ConfigRegion, list: MemsegListMap, seg: number): number {
  return cfg.u32[(list.segEntry(seg) + SEG_STATE) >> 2]!;
}

/** The IOVA of segment `seg`, BAD_IOVA when unknown. */
export function segIova(cfg: ConfigRegion, list: MemsegListMap, seg: number): bigint {
  const e = list.segEntry(seg);
  return iovaFromWords(cfg.u32[(e + SEG_IOVA_LO) >> 2]!, cfg.u32[(e + SEG_IOVA_HI) >> 2]!);
}

/**
 * The IOVA of byte `off` of `list` as two 32-bit words in out[0] (low) and
 * out[1] (high), without a bigint: for paths that allocate nothing. Returns
 * false, and writes 0xffffffff twice (BAD_IOVA's bits), when it is unknown.
 */
export function segIovaWords(cfg: ConfigRegion, list: MemsegListMap, off: number, out: Uint32Array): boolean {
  const seg = Math.floor(off / list.pageSize);
  const e = list.segEntry(seg);
  const lo = cfg.u32[(e + SEG_IOVA_LO) >> 2]!;
  const hi = cfg.u32[(e + SEG_IOVA_HI) >> 2]!;
  if ((list.flags & ML_F_EXTERNAL) !== 0 || (cfg.u32[(e + SEG_STATE) >> 2]! & SEG_F_USED) === 0 || (lo === IOVA_UNKNOWN && hi === IOVA_UNKNOWN)) {
    out[0] = IOVA_UNKNOWN;
    out[1] = IOVA_UNKNOWN;
    return false;
  }
  // lo + the offset in the page, carried into hi (both below 2**32, the sum below 2**33).
  const sum = lo + (off - seg * list.pageSize);
  out[0] = sum >>> 0;
  out[1] = (hi + (sum > 0xffffffff ? 1 : 0)) >>> 0;
  return true;
}

/**
 * The NUMA node the kernel placed the memory of byte `off` of `list` on
 * (get_mempolicy with MPOL_F_NODE | MPOL_F_ADDR), or -1 when it cannot
 * tell (no native addon, or the call failed). Ask only for pages that have
 * memory: the kernel faults in the page it is asked about, and on hugetlbfs
 * that would take a hugepage for a segment the table says is empty.
 *
 * @see alloc_seg in DPDK lib/eal/linux/eal_memalloc.c (its
 * RTE_EAL_NUMA_AWARE_HUGEPAGES check of where a page landed)
 */
export function kernelNodeOf(list: MemsegListMap, off: number): number {
  const n = native();
  if (n === null || !Number.isSafeInteger(off) || off < 0 || off >= list.sab.byteLength) return -1;
  const node = n.pageNode(list.sab, off);
  return node < 0 ? -1 : node;
}

const iovaWords = new Uint32Array(2);

function writeSeg(cfg: ConfigRegion, list: MemsegListMap, seg: number, state: number, iova: bigint): void {
  const e = list.segEntry(seg);
  iovaToWords(iova, iovaWords);
  cfg.u32[(e + SEG_IOVA_LO) >> 2] = iovaWords[0]!;
  cfg.u32[(e + SEG_IOVA_HI) >> 2] = iovaWords[1]!;
  // Pairs with readers' loads of the state: the IOVA is in place before the page shows as used.
  Atomics.store(cfg.u32, (e + SEG_STATE) >> 2, state);
}

/** Marks segments as backed without touching memory (sab lists, whose memory always exists). */
export function markBacked(cfg: ConfigRegion, list: MemsegListMap, first: number, count: number, flags: number): void {
  for (let s = first; s < first + count; s++) writeSeg(cfg, list, s, SEG_F_USED | flags, BAD_IOVA);
  const w = (cfg.listEntry(list.index) + ML_USED_SEGS) >> 2;
  cfg.u32[w] = cfg.u32[w]! + count;
}

/**
 * Gives `count` pages from segment `first` real memory: allocated now (so
 * running out is an error here, never a SIGBUS later), faulted into this
 * process, with their IOVAs recorded. The caller holds the memseg lock.
 * Returns 0, or a negated errno (-ENOMEM when the pages are not there).
 */
export function backPages(
  cfg: ConfigRegion,
  list: MemsegListMap,
  first: number,
  count: number,
  flags: number,
  bindNode: boolean,
): number {
  const n = native();
  if (n === null || list.fd < 0) return -ENOMEM;
  const off = first * list.pageSize;
  const len = count * list.pageSize;
  let r = n.fallocate(list.fd, false, off, len, bindNode ? list.socketId : -1);
  if (r < 0) {
    // ENOSPC from hugetlbfs/tmpfs means no pages: report it as ENOMEM.
    return r === -ENOSPC ? -ENOMEM : r;
  }
  r = n.populate(list.sab, off, len);
  if (r < 0) {
    n.fallocate(list.fd, true, off, len, -1);
    return r;
  }
  const iovas = n.pagemapRange(list.sab, off, len, list.pageSize);
  for (let i = 0; i < count; i++) {
    const iova = typeof iovas === 'number' ? BAD_IOVA : iovas[i]!;
    writeSeg(cfg, list, first + i, SEG_F_USED | flags, iova);
  }
  const w = (cfg.listEntry(list.index) + ML_USED_SEGS) >> 2;
  cfg.u32[w] = cfg.u32[w]! + count;
  return 0;
}

/**
 * Gives `count` pages from segment `first` back to the OS (in every process
 * that maps the list). The caller holds the memseg lock and guarantees that
 * nothing lives in them. Returns 0 or a negated errno.
 */
export function releasePages(cfg: ConfigRegion, list: MemsegListMap, first: number, count: number): number {
  const n = native();
  if (n === null || list.fd < 0) return -EINVAL;
  const r = n.fallocate(list.fd, true, first * list.pageSize, count * list.pageSize, -1);
  if (r < 0) return r;
  for (let i = 0; i < count; i++) writeSeg(cfg, list, first + i, 0, BAD_IOVA);
  const w = (cfg.listEntry(list.index) + ML_USED_SEGS) >> 2;
  cfg.u32[w] = cfg.u32[w]! - count;
  return 0;
}

/** Maps a list file in this process: one SharedArrayBuffer per list per process. */
export function mapListFile(fd: number, length: number, what: string): SharedArrayBuffer {
  const n = native();
  if (n === null) throw fromErrno(-ENOTSUP, `cannot map ${what}`, 'the native addon is not loaded');
  const sab = n.mapFile(fd, length, 0);
  if (typeof sab === 'number') throw fromErrno(sab, `cannot map ${what} (${length} bytes)`);
  return sab;
}

/**
 * Recounts every internal list's used segments from the segment table (a
 * process that died holding the memseg lock may have left a count half
 * updated; the table is the truth). The caller holds the memseg lock.
 */
export function recountUsedSegments(cfg: ConfigRegion, lists: readonly MemsegListMap[]): void {
  for (const l of lists) {
    if ((l.flags & ML_F_EXTERNAL) !== 0) continue;
    let used = 0;
    for (let s = 0; s < l.nSegs; s++) if ((segState(cfg, l, s) & SEG_F_USED) !== 0) used++;
    cfg.u32[(cfg.listEntry(l.index) + ML_USED_SEGS) >> 2] = used;
  }
}
