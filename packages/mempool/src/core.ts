/**
 * One handle's view of a pool's header zone MP_<name> (layout.ts): header
 * words, the chunk table and the lcore caches' lengths, for everything but
 * the data path, which keeps its own copies of what it needs on the Mempool
 * handle. create.ts writes the header.
 *
 * @see struct rte_mempool in DPDK rte_mempool.h
 */
import { iovaFromWords, iovaToWords, MAX_LCORE, type MemsegListMap } from '@rtemem/eal-hugepage';
import {
  CACHE_LEN,
  CHUNK_ADDR,
  CHUNK_BYTES,
  CHUNK_COUNT,
  CHUNK_FIRST,
  CHUNK_IOVA_GIVEN,
  CHUNK_IOVA_HI,
  CHUNK_IOVA_LO,
  CHUNK_KIND,
  CHUNK_LEN,
  MP_CACHE_SIZE,
  MP_CACHE_STRIDE,
  MP_CACHES,
  MP_CHUNK_TABLE,
  MP_DEBUG,
} from './layout.js';

/** One handle's view of a pool's header zone. */
export class PoolCore {
  readonly list: MemsegListMap;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  /** Byte offset of the header in its list. */
  readonly base: number;
  readonly cacheSize: number;
  /** Lcores with a cache: MAX_LCORE, or 0 when the pool has none. */
  readonly nCaches: number;
  /** Byte offset (in the list) of lcore 0's cache, and bytes from one cache to the next. */
  readonly cache0: number;
  readonly stride: number;
  readonly debug: boolean;

  constructor(list: MemsegListMap, base: number) {
    this.list = list;
    this.u32 = list.u32;
    this.f64 = list.f64;
    this.base = base;
    this.cacheSize = this.word(MP_CACHE_SIZE);
    this.nCaches = this.cacheSize === 0 ? 0 : MAX_LCORE;
    this.cache0 = base + MP_CACHES;
    this.stride = this.word(MP_CACHE_STRIDE);
    this.debug = this.word(MP_DEBUG) !== 0;
  }

  /** The u32 header field at byte offset `field` (MP_*). */
  word(field: number): number {
    return this.u32[(this.base + field) >> 2]!;
  }

  setWord(field: number, v: number): void {
    this.u32[(this.base + field) >> 2] = v;
  }

  /** Byte offset (in the list) of lcore `lc`'s cache. */
  cacheOffset(lc: number): number {
    return this.cache0 + lc * this.stride;
  }

  /** Objects in lcore `lc`'s cache; an atomic read, as its lcore may be changing it. */
  cacheLen(lc: number): number {
    return Atomics.load(this.u32, (this.cacheOffset(lc) + CACHE_LEN) >> 2);
  }

  /** Objects in every lcore's cache. */
  cached(): number {
    let n = 0;
    for (let lc = 0; lc < this.nCaches; lc++) n += this.cacheLen(lc);
    return n;
  }

  /** Byte offset (in the list) of chunk-table entry `c`. */
  #chunk(c: number): number {
    return this.base + MP_CHUNK_TABLE + c * CHUNK_BYTES;
  }

  /** Start of the memory chunk `c` was given (its elements start there, aligned up). */
  chunkAddr(c: number): number {
    return this.f64[(this.#chunk(c) + CHUNK_ADDR) >> 3]!;
  }

  /** Bytes of memory chunk `c` was given. */
  chunkLen(c: number): number {
    return this.f64[(this.#chunk(c) + CHUNK_LEN) >> 3]!;
  }

  /** Objects in chunk `c`. */
  chunkCount(c: number): number {
    return this.u32[(this.#chunk(c) + CHUNK_COUNT) >> 2]!;
  }

  /** Index (in the pool) of chunk `c`'s first object. */
  chunkFirst(c: number): number {
    return this.u32[(this.#chunk(c) + CHUNK_FIRST) >> 2]!;
  }

  /** IOVA of chunk `c`'s start, BAD_IOVA when unknown. */
  chunkIova(c: number): bigint {
    const e = this.#chunk(c);
    return iovaFromWords(this.u32[(e + CHUNK_IOVA_LO) >> 2]!, this.u32[(e + CHUNK_IOVA_HI) >> 2]!);
  }

  /** CHUNK_KIND_* of chunk `c`. */
  chunkKind(c: number): number {
    return this.u32[(this.#chunk(c) + CHUNK_KIND) >> 2]!;
  }

  /** True when chunk `c`'s object IOVAs come from its own IOVA (populateIova) rather than the EAL's. */
  chunkIovaGiven(c: number): boolean {
    return this.u32[(this.#chunk(c) + CHUNK_IOVA_GIVEN) >> 2] === 1;
  }

  /** Writes chunk-table entry `c` (kind last: an entry with a kind owns its memory). */
  setChunk(c: number, addr: number, len: number, iova: bigint, iovaGiven: boolean, kind: number): void {
    const e = this.#chunk(c);
    this.f64[(e + CHUNK_ADDR) >> 3] = addr;
    this.f64[(e + CHUNK_LEN) >> 3] = len;
    this.u32[(e + CHUNK_COUNT) >> 2] = 0;
    this.u32[(e + CHUNK_FIRST) >> 2] = 0;
    const w = new Uint32Array(2);
    iovaToWords(iova, w);
    this.u32[(e + CHUNK_IOVA_LO) >> 2] = w[0]!;
    this.u32[(e + CHUNK_IOVA_HI) >> 2] = w[1]!;
    this.u32[(e + CHUNK_IOVA_GIVEN) >> 2] = iovaGiven ? 1 : 0;
    this.u32[(e + CHUNK_KIND) >> 2] = kind;
  }

  /** Records the objects of chunk `c`, once placed. */
  setChunkObjects(c: number, count: number, first: number): void {
    const e = this.#chunk(c);
    this.u32[(e + CHUNK_COUNT) >> 2] = count;
    this.u32[(e + CHUNK_FIRST) >> 2] = first;
  }

  /** Clears entry `c` (CHUNK_KIND_NONE). */
  clearChunk(c: number): void {
    const e = this.#chunk(c);
    this.list.u8.fill(0, e, e + CHUNK_BYTES);
  }
}
