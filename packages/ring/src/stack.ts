/**
 * rte_stack in shared memory: a LIFO of numbers, lock-based by default or
 * lock-free (STACK_F_LF) as two linked lists of nodes (used and free)
 * moved by compare-and-swap.
 *
 * DPDK's lock-free stack swaps a (pointer, counter) pair with a 128-bit CAS.
 * JS has 32-bit atomics (64-bit only through BigInt), so a list word packs
 * the top node's index (low bits) with an ABA tag (the rest): the tag
 * changes on every swap, and a thread whose view of the list is stale fails
 * its CAS unless the tag has wrapped exactly in between (2**tagBits swaps
 * while it was between its read and its CAS; 2**12 at the least, as stacks
 * are limited to 2**20 objects).
 *
 * @see lib/stack/rte_stack.c, rte_stack_std.h, rte_stack_lf_generic.h in DPDK
 */
import { alignCeil, CACHE_LINE_SIZE, type Eal, hex, lockAcquire, lockRelease, MAX_LCORE, RteError, SOCKET_ID_ANY } from '@rtemem/eal-hugepage';
import { type Memzone, Memzones } from '@rtemem/memzone';
import { isOutput } from './check.js';
import {
  NODE_NEXT,
  NODE_OBJ,
  RING_STATE_FREED,
  RING_STATE_LIVE,
  STACK_MAGIC,
  STK_HDR_CAPACITY,
  STK_HDR_FLAGS,
  STK_HDR_INDEX_BITS,
  STK_HDR_MAGIC,
  STK_HDR_NAME,
  STK_HDR_STATE,
  STK_LEN,
  STK_LF_FREE,
  STK_LF_FREE_LEN,
  STK_LF_NODES,
  STK_LF_USED,
  STK_LF_USED_LEN,
  STK_LOCK,
  STK_NAME_LEN,
  STK_NODE_BYTES,
  STK_STD_OBJS,
} from './layout.js';
import { backoff } from './core.js';

/** Lock-free stack. @see STACK_F_LF */
export const STACK_F_LF = 0x1;
/** Memzone names of stacks start with this. @see RTE_STACK_MZ_PREFIX */
export const STACK_MZ_PREFIX = 'STK_';
/** Longest stack name in bytes plus one. @see RTE_STACK_NAMESIZE */
export const STACK_NAMESIZE = 28;
/** Largest lock-free stack (so the ABA tag keeps at least 12 bits). */
export const STACK_LF_MAX = 1 << 20;

// Throws EINVAL for a count or flags no stack can have.
function checkGeometry(count: unknown, flags: unknown): void {
  if (typeof flags !== 'number' || !Number.isInteger(flags) || (flags & ~STACK_F_LF) !== 0) {
    throw new RteError('EINVAL', `unsupported stack flags ${typeof flags === 'number' ? hex(flags) : `0x${String(flags)}`}: only STACK_F_LF`);
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count <= 0 || count > 0x7fffffff) {
    throw new RteError('EINVAL', `stack count ${String(count)} must be a positive integer`);
  }
  if ((flags & STACK_F_LF) !== 0 && count > STACK_LF_MAX) throw new RteError('EINVAL', `a lock-free stack holds at most ${STACK_LF_MAX} objects`);
}

function indexBits(count: number): number {
  return 32 - Math.clz32(count + 1);
}

/**
 * A handle on a stack in shared memory.
 *
 * @example
 * ```ts
 * import { Eal, Stack, STACK_F_LF } from '@rtemem/ring';
 * const eal = Eal.init({ backend: 'sab', memory: 4 << 20 });
 * const s = Stack.create(eal, 'free_ids', 1024, -1, STACK_F_LF);
 * s.push([1, 2, 3]);             // 3
 * const out: number[] = [];
 * s.pop(out, 2);                 // 2: out = [3, 2]
 * eal.cleanup();
 * ```
 * @see rte_stack
 */
export class Stack {
  readonly #eal: Eal;
  readonly #mz: Memzone;
  readonly #i32: Int32Array;
  readonly #f64: Float64Array;
  /** Byte offset of the stack in its buffer. */
  readonly #base: number;
  readonly #lf: boolean;
  readonly #capacity: number;
  readonly #bits: number;
  readonly #indexMask: number;
  readonly #lcore: Uint32Array;
  /** Ends of the chain of nodes taken by the last popNodes (scratch). */
  #first = 0;
  #last = 0;

  private constructor(eal: Eal, mz: Memzone) {
    const list = eal.listOf(mz.addr)!;
    this.#eal = eal;
    this.#mz = mz;
    this.#i32 = list.i32;
    this.#f64 = list.f64;
    this.#base = mz.addr - list.baseAddr;
    const u32 = list.u32;
    this.#lf = (u32[(this.#base + STK_HDR_FLAGS) >> 2]! & STACK_F_LF) !== 0;
    this.#capacity = u32[(this.#base + STK_HDR_CAPACITY) >> 2]!;
    this.#bits = u32[(this.#base + STK_HDR_INDEX_BITS) >> 2]!;
    this.#indexMask = this.#bits >= 32 ? -1 : (1 << this.#bits) - 1;
    this.#lcore = eal.lcoreCell;
  }

  /**
   * Bytes a stack of `count` objects needs. Throws EINVAL for a count or
   * flags that Stack.create refuses. @see rte_stack_get_memsize
   */
  static memsize(count: number, flags = 0): number {
    checkGeometry(count, flags);
    const body = (flags & STACK_F_LF) !== 0 ? STK_LF_NODES + count * STK_NODE_BYTES : STK_STD_OBJS + count * 8;
    return alignCeil(body, CACHE_LINE_SIZE);
  }

  /**
   * Creates a stack of up to `count` numbers in a memzone named
   * `STK_<name>`. Throws EINVAL (count 0, unknown flag, a lock-free stack
   * above STACK_LF_MAX), ENAMETOOLONG, EEXIST, ENOMEM. @see rte_stack_create
   */
  static create(eal: Eal, name: string, count: number, socket: number = SOCKET_ID_ANY, flags = 0): Stack {
    if (typeof name !== 'string' || name.length === 0) throw new RteError('EINVAL', 'a stack name must be a non-empty string');
    if (Buffer.byteLength(name) >= STACK_NAMESIZE) throw new RteError('ENAMETOOLONG', `stack name ${JSON.stringify(name)} is longer than ${STACK_NAMESIZE - 1} bytes`);
    checkGeometry(count, flags);
    const lf = (flags & STACK_F_LF) !== 0;
    const mz = Memzones.of(eal).reserve(STACK_MZ_PREFIX + name, Stack.memsize(count, flags), socket, 0, 64);
    const list = eal.listOf(mz.addr)!;
    const base = mz.addr - list.baseAddr;
    list.u8.fill(0, base, base + STK_LF_NODES);
    list.u8.set(Buffer.from(name, 'utf8'), base + STK_HDR_NAME);
    const u32 = list.u32;
    u32[(base + STK_HDR_FLAGS) >> 2] = flags;
    u32[(base + STK_HDR_CAPACITY) >> 2] = count;
    u32[(base + STK_HDR_STATE) >> 2] = RING_STATE_LIVE;
    if (lf) {
      // Every node starts on the free list, in index order.
      const bits = indexBits(count);
      u32[(base + STK_HDR_INDEX_BITS) >> 2] = bits;
      for (let i = 0; i < count; i++) {
        const node = base + STK_LF_NODES + i * STK_NODE_BYTES;
        list.i32[(node + NODE_NEXT) >> 2] = i + 1 < count ? i + 2 : 0;
      }
      list.i32[(base + STK_LF_FREE) >> 2] = 1;
      list.i32[(base + STK_LF_FREE_LEN) >> 2] = count;
    }
    Atomics.store(list.i32, (base + STK_HDR_MAGIC) >> 2, STACK_MAGIC);
    return new Stack(eal, mz);
  }

  /** The stack created under `name` by any thread or process, or null. @see rte_stack_lookup */
  static lookup(eal: Eal, name: string): Stack | null {
    if (typeof name !== 'string' || Buffer.byteLength(name) >= STACK_NAMESIZE) return null;
    const mz = Memzones.of(eal).lookup(STACK_MZ_PREFIX + name);
    if (mz === null) return null;
    const list = eal.listOf(mz.addr);
    if (list === undefined) return null;
    const base = mz.addr - list.baseAddr;
    if (Atomics.load(list.i32, (base + STK_HDR_MAGIC) >> 2) !== STACK_MAGIC || list.u32[(base + STK_HDR_STATE) >> 2] !== RING_STATE_LIVE) return null;
    return new Stack(eal, mz);
  }

  /** Frees the stack's memzone. @see rte_stack_free */
  free(): void {
    this.#i32[(this.#base + STK_HDR_STATE) >> 2] = RING_STATE_FREED;
    Atomics.store(this.#i32, (this.#base + STK_HDR_MAGIC) >> 2, 0);
    Memzones.of(this.#eal).free(this.#mz);
  }

  /** The stack's name. */
  get name(): string {
    const bytes = new Uint8Array(this.#i32.buffer, this.#base + STK_HDR_NAME, STK_NAME_LEN);
    const end = bytes.indexOf(0);
    return Buffer.from(bytes.subarray(0, end < 0 ? STK_NAME_LEN : end)).toString('utf8');
  }

  /** Objects it can hold. */
  get capacity(): number {
    return this.#capacity;
  }

  /** STACK_F_* flags. */
  get flags(): number {
    return this.#lf ? STACK_F_LF : 0;
  }

  /** The stack's memzone. */
  get memzone(): Memzone {
    return this.#mz;
  }

  #checkN(objs: ArrayLike<number>, n: number): void {
    if (!((n | 0) === n && n >= 0 && n <= objs.length)) {
      throw new RteError('EINVAL', `n must be a whole number from 0 to the array's length (${objs.length}), not ${String(n)}`);
    }
  }

  /** Pushes all `n` objects or none: returns n or 0. @see rte_stack_push */
  push(objs: ArrayLike<number>, n: number = objs.length): number {
    this.#checkN(objs, n);
    if (n === 0) return 0;
    return this.#lf ? this.#lfPush(objs, n) : this.#stdPush(objs, n);
  }

  /** Pops `n` objects into `out`, top first, or none: returns n or 0. @see rte_stack_pop */
  pop(out: number[] | Float64Array, n: number): number {
    // A plain Array grows; a typed array must have room; nothing else (a
    // write that threw would leave the stack's lock held).
    if (!isOutput(out)) throw new RteError('EINVAL', 'the output must be a number[] or a Float64Array');
    if (!((n | 0) === n && n >= 0) || (n > out.length && !Array.isArray(out))) {
      throw new RteError('EINVAL', `n must be a whole number of objects that fit the output (${out.length}), not ${String(n)}`);
    }
    if (n === 0) return 0;
    return this.#lf ? this.#lfPop(out, n) : this.#stdPop(out, n);
  }

  /** Objects on the stack. @see rte_stack_count */
  count(): number {
    return Atomics.load(this.#i32, (this.#base + (this.#lf ? STK_LF_USED_LEN : STK_LEN)) >> 2);
  }

  /** Room left. @see rte_stack_free_count */
  freeCount(): number {
    return this.#capacity - this.count();
  }

  /* ---- lock-based ---- */

  #lockOwner(): number {
    const lc = this.#lcore[0]!;
    return lc < MAX_LCORE ? lc : -1;
  }

  #stdPush(objs: ArrayLike<number>, n: number): number {
    const i32 = this.#i32;
    const b = this.#base;
    lockAcquire(i32, b + STK_LOCK, this.#eal.pid, this.#lockOwner());
    // Released whatever happens: reading a caller's array may throw.
    try {
      const len = i32[(b + STK_LEN) >> 2]!;
      if (len + n > this.#capacity) return 0;
      const f = this.#f64;
      const at = ((b + STK_STD_OBJS) >> 3) + len;
      for (let i = 0; i < n; i++) f[at + i] = objs[i]!;
      Atomics.store(i32, (b + STK_LEN) >> 2, len + n);
      return n;
    } finally {
      lockRelease(i32, b + STK_LOCK);
    }
  }

  #stdPop(out: number[] | Float64Array, n: number): number {
    const i32 = this.#i32;
    const b = this.#base;
    lockAcquire(i32, b + STK_LOCK, this.#eal.pid, this.#lockOwner());
    try {
      const len = i32[(b + STK_LEN) >> 2]!;
      if (len < n) return 0;
      const f = this.#f64;
      const top = ((b + STK_STD_OBJS) >> 3) + len - 1;
      for (let i = 0; i < n; i++) out[i] = f[top - i]!;
      Atomics.store(i32, (b + STK_LEN) >> 2, len - n);
      return n;
    } finally {
      lockRelease(i32, b + STK_LOCK);
    }
  }

  /* ---- lock-free ---- */

  #node(index1: number): number {
    return this.#base + STK_LF_NODES + (index1 - 1) * STK_NODE_BYTES;
  }

  // Reserves `n` from list `len`, then unlinks n nodes from list word
  // `word`, copying their objects into `out` when given. Leaves the chain's
  // first and last node (index + 1) in #first/#last. False when fewer than n.
  #popNodes(word: number, len: number, n: number, out: number[] | Float64Array | null): boolean {
    const i32 = this.#i32;
    for (;;) {
      const have = Atomics.load(i32, len);
      if (have < n) return false;
      if (Atomics.compareExchange(i32, len, have, have - n) === have) break;
    }
    const mask = this.#indexMask;
    const bits = this.#bits;
    const f = this.#f64;
    for (let spins = 0; ; spins++) {
      const old = Atomics.load(i32, word);
      const top = old & mask;
      let cur = top;
      let last = 0;
      let i = 0;
      for (; i < n && cur !== 0; i++) {
        const node = this.#node(cur);
        if (out !== null) out[i] = f[(node + NODE_OBJ) >> 3]!;
        last = cur;
        cur = Atomics.load(i32, (node + NODE_NEXT) >> 2);
      }
      // A chain shorter than reserved means the list changed under us: retry.
      if (i === n) {
        const tag = (old >>> bits) + 1;
        const next = bits >= 32 ? cur : ((tag << bits) | cur) | 0;
        if (Atomics.compareExchange(i32, word, old, next) === old) {
          this.#first = top;
          this.#last = last;
          return true;
        }
      }
      backoff(spins);
    }
  }

  // Links the chain #first..#last (n nodes) on top of list word `word`.
  #pushNodes(word: number, len: number, first: number, last: number, n: number): void {
    const i32 = this.#i32;
    const mask = this.#indexMask;
    const bits = this.#bits;
    const lastNext = (this.#node(last) + NODE_NEXT) >> 2;
    for (;;) {
      const old = Atomics.load(i32, word);
      Atomics.store(i32, lastNext, old & mask);
      const tag = (old >>> bits) + 1;
      if (Atomics.compareExchange(i32, word, old, ((tag << bits) | first) | 0) === old) break;
    }
    Atomics.add(i32, len, n);
  }

  #lfPush(objs: ArrayLike<number>, n: number): number {
    const b = this.#base;
    if (!this.#popNodes((b + STK_LF_FREE) >> 2, (b + STK_LF_FREE_LEN) >> 2, n, null)) return 0;
    const first = this.#first;
    const last = this.#last;
    // The chain's first node ends on top: it gets the last object (LIFO order of objs).
    const f = this.#f64;
    let cur = first;
    for (let i = 0; i < n; i++) {
      const node = this.#node(cur);
      f[(node + NODE_OBJ) >> 3] = objs[n - 1 - i]!;
      cur = this.#i32[(node + NODE_NEXT) >> 2]!;
    }
    this.#pushNodes((b + STK_LF_USED) >> 2, (b + STK_LF_USED_LEN) >> 2, first, last, n);
    return n;
  }

  #lfPop(out: number[] | Float64Array, n: number): number {
    const b = this.#base;
    if (!this.#popNodes((b + STK_LF_USED) >> 2, (b + STK_LF_USED_LEN) >> 2, n, out)) return 0;
    this.#pushNodes((b + STK_LF_FREE) >> 2, (b + STK_LF_FREE_LEN) >> 2, this.#first, this.#last, n);
    return n;
  }
}
