/**
 * Dynamic mbuf fields and flags: names registered in shared memory, so every
 * thread and process gets the same offset or bit for the same name.
 *
 * @see lib/mbuf/rte_mbuf_dyn.c in DPDK
 */
import { CACHE_LINE_SIZE, type Eal, isPowerOfTwo, LCORE_ID_ANY, lockAcquire, lockRelease, RteError } from '@rtemem/eal-hugepage';
import {
  DYN_AREA_BYTES,
  DYN_AREA_NAME,
  DYN_CB_NEXT,
  DYN_E_ALIGN,
  DYN_E_NAME,
  DYN_E_SIZE,
  DYN_E_USED,
  DYN_E_VALUE,
  DYN_ENTRY_BYTES,
  DYN_FIELDS,
  DYN_FLAGS,
  DYN_FREE,
  DYN_FREE_FLAGS_HI,
  DYN_FREE_FLAGS_LO,
  DYN_INIT,
  DYN_LOCK,
  DYN_NAME_LEN,
  DYNFIELD1_BYTES,
  DYNFLAG_FIRST,
  DYNFLAG_LAST,
  MAX_DYN_FIELDS,
  MAX_DYN_FLAGS,
  MBUF_HEADER_SIZE,
  OFF_DYNFIELD1,
} from './layout.js';

/** The registry of an EAL, seen from one thread. */
export class DynRegistry {
  readonly #eal: Eal;
  readonly #area: number;

  constructor(eal: Eal) {
    this.#eal = eal;
    this.#area = eal.area(DYN_AREA_NAME, DYN_AREA_BYTES);
    this.#locked(() => {
      const c = eal.config;
      if (c.i32[(this.#area + DYN_INIT) >> 2] === 1) return;
      // Free for dynamic fields: dynfield1. Free flags: bits 23..40.
      c.u8.fill(0, this.#area + DYN_FREE, this.#area + DYN_FREE + MBUF_HEADER_SIZE);
      c.u8.fill(1, this.#area + DYN_FREE + OFF_DYNFIELD1, this.#area + DYN_FREE + OFF_DYNFIELD1 + DYNFIELD1_BYTES);
      let lo = 0;
      let hi = 0;
      for (let bit = DYNFLAG_FIRST; bit <= DYNFLAG_LAST; bit++) {
        if (bit < 32) lo |= 1 << bit;
        else hi |= 1 << (bit - 32);
      }
      c.u32[(this.#area + DYN_FREE_FLAGS_LO) >> 2] = lo >>> 0;
      c.u32[(this.#area + DYN_FREE_FLAGS_HI) >> 2] = hi >>> 0;
      c.u32[(this.#area + DYN_CB_NEXT) >> 2] = 1;
      Atomics.store(c.i32, (this.#area + DYN_INIT) >> 2, 1);
    });
  }

  #locked<T>(fn: () => T): T {
    const lc = this.#eal.lcoreId();
    lockAcquire(this.#eal.config.i32, this.#area + DYN_LOCK, this.#eal.pid, lc === LCORE_ID_ANY ? -1 : lc);
    try {
      return fn();
    } finally {
      lockRelease(this.#eal.config.i32, this.#area + DYN_LOCK);
    }
  }

  #checkName(name: unknown): string {
    if (typeof name !== 'string' || name.length === 0) throw new RteError('EINVAL', 'a dynamic field or flag name is a non-empty string');
    if (Buffer.byteLength(name) >= DYN_NAME_LEN) throw new RteError('ENAMETOOLONG', `dynamic name ${JSON.stringify(name)} is longer than ${DYN_NAME_LEN - 1} bytes`);
    return name;
  }

  #find(table: number, max: number, name: string): number {
    const c = this.#eal.config;
    for (let i = 0; i < max; i++) {
      const e = this.#area + table + i * DYN_ENTRY_BYTES;
      if (c.u32[(e + DYN_E_USED) >> 2] === 1 && c.readString(e + DYN_E_NAME, DYN_NAME_LEN) === name) return e;
    }
    return -1;
  }

  #freeEntry(table: number, max: number, what: string): number {
    const c = this.#eal.config;
    for (let i = 0; i < max; i++) {
      const e = this.#area + table + i * DYN_ENTRY_BYTES;
      if (c.u32[(e + DYN_E_USED) >> 2] !== 1) return e;
    }
    throw new RteError('ENOSPC', `all ${max} dynamic ${what} entries are used`);
  }

  /**
   * The offset of dynamic field `name` (size bytes, align a power of two),
   * registering it when new. Throws EEXIST for a name registered with
   * another size or alignment, ENOSPC when no room is left, EINVAL for bad
   * sizes. @see rte_mbuf_dynfield_register
   */
  fieldRegister(name: string, size: number, align: number): number {
    this.#checkName(name);
    if (!Number.isInteger(size) || size <= 0 || size > DYNFIELD1_BYTES) throw new RteError('EINVAL', `dynamic field size must be 1..${DYNFIELD1_BYTES}, not ${String(size)}`);
    if (!isPowerOfTwo(align) || align > CACHE_LINE_SIZE) throw new RteError('EINVAL', `dynamic field alignment must be a power of two up to ${CACHE_LINE_SIZE}, not ${String(align)}`);
    return this.#locked(() => {
      const c = this.#eal.config;
      const have = this.#find(DYN_FIELDS, MAX_DYN_FIELDS, name);
      if (have >= 0) {
        if (c.u32[(have + DYN_E_SIZE) >> 2] !== size || c.u32[(have + DYN_E_ALIGN) >> 2] !== align) {
          throw new RteError('EEXIST', `dynamic field ${name} is registered with size ${c.u32[(have + DYN_E_SIZE) >> 2]} and align ${c.u32[(have + DYN_E_ALIGN) >> 2]}`);
        }
        return c.u32[(have + DYN_E_VALUE) >> 2]!;
      }
      const free = this.#area + DYN_FREE;
      let offset = -1;
      for (let off = 0; off + size <= MBUF_HEADER_SIZE && offset < 0; off += align) {
        let ok = true;
        for (let i = 0; i < size && ok; i++) ok = c.u8[free + off + i] === 1;
        if (ok) offset = off;
      }
      if (offset < 0) throw new RteError('ENOSPC', `no ${size} free bytes aligned to ${align} left in the mbuf for dynamic field ${name}`);
      const e = this.#freeEntry(DYN_FIELDS, MAX_DYN_FIELDS, 'field');
      c.u8.fill(0, free + offset, free + offset + size);
      c.writeString(e + DYN_E_NAME, DYN_NAME_LEN, name);
      c.u32[(e + DYN_E_VALUE) >> 2] = offset;
      c.u32[(e + DYN_E_SIZE) >> 2] = size;
      c.u32[(e + DYN_E_ALIGN) >> 2] = align;
      Atomics.store(c.u32, (e + DYN_E_USED) >> 2, 1);
      return offset;
    });
  }

  /**
   * The bit number of dynamic flag `name` in the offload flags, registering
   * it when new (the lowest free bit). Throws ENOSPC when none is left.
   * @see rte_mbuf_dynflag_register
   */
  flagRegister(name: string): number {
    this.#checkName(name);
    return this.#locked(() => {
      const c = this.#eal.config;
      const have = this.#find(DYN_FLAGS, MAX_DYN_FLAGS, name);
      if (have >= 0) return c.u32[(have + DYN_E_VALUE) >> 2]!;
      const lo = c.u32[(this.#area + DYN_FREE_FLAGS_LO) >> 2]!;
      const hi = c.u32[(this.#area + DYN_FREE_FLAGS_HI) >> 2]!;
      let bit = -1;
      for (let b = 0; b < 64 && bit < 0; b++) if (((b < 32 ? lo >>> b : hi >>> (b - 32)) & 1) === 1) bit = b;
      if (bit < 0) throw new RteError('ENOSPC', `no free offload flag bit left for dynamic flag ${name}`);
      const e = this.#freeEntry(DYN_FLAGS, MAX_DYN_FLAGS, 'flag');
      if (bit < 32) c.u32[(this.#area + DYN_FREE_FLAGS_LO) >> 2] = (lo & ~(1 << bit)) >>> 0;
      else c.u32[(this.#area + DYN_FREE_FLAGS_HI) >> 2] = (hi & ~(1 << (bit - 32))) >>> 0;
      c.writeString(e + DYN_E_NAME, DYN_NAME_LEN, name);
      c.u32[(e + DYN_E_VALUE) >> 2] = bit;
      Atomics.store(c.u32, (e + DYN_E_USED) >> 2, 1);
      return bit;
    });
  }

  /** Offset of field `name`, or -1. @see rte_mbuf_dynfield_lookup */
  fieldLookup(name: string): number {
    if (typeof name !== 'string') return -1;
    const e = this.#find(DYN_FIELDS, MAX_DYN_FIELDS, name);
    return e < 0 ? -1 : this.#eal.config.u32[(e + DYN_E_VALUE) >> 2]!;
  }

  /** Bit of flag `name`, or -1. @see rte_mbuf_dynflag_lookup */
  flagLookup(name: string): number {
    if (typeof name !== 'string') return -1;
    const e = this.#find(DYN_FLAGS, MAX_DYN_FLAGS, name);
    return e < 0 ? -1 : this.#eal.config.u32[(e + DYN_E_VALUE) >> 2]!;
  }

  /** A callback id unique in the EAL (for external buffers' free callbacks). */
  nextCallbackId(): number {
    return Atomics.add(this.#eal.config.u32, (this.#area + DYN_CB_NEXT) >> 2, 1);
  }
}
