/**
 * A ring's state for people and its repair after a death, for both
 * implementations (@rtemem/ring-wasm compiles this file in from source):
 * DPDK's dump text with the sync modes and a note on a stuck side, and the
 * recovery that poisons and publishes what a dead producer claimed and
 * releases what a dead consumer claimed.
 *
 * @see lib/ring/rte_ring.c (rte_ring_dump) in DPDK
 */
import type { RingCore } from './core.js';
import { SYNC_NAMES } from './geometry.js';
import { SYNC_MT_RTS } from './layout.js';

/** Head, tail and in-flight count of both sides, as unsigned 32-bit counters. */
export interface HeadTail {
  prodHead: number;
  prodTail: number;
  consHead: number;
  consTail: number;
  prodInFlight: number;
  consInFlight: number;
}

/** What a dump reads of a ring handle (Ring, or ring-wasm's WasmRing). */
export interface Dumpable {
  readonly name: string;
  readonly flags: number;
  count(): number;
  freeCount(): number;
  headTail(): HeadTail;
}

/** What a dump reads of the handle's view of the ring (RingCore or WasmCore). */
export type DumpCore = Pick<RingCore, 'base' | 'size' | 'capacity' | 'esize' | 'prodSync' | 'consSync'>;

/**
 * The ring's state in DPDK's dump format, plus sync modes and, when a side's
 * head is ahead of its tail with nothing moving, a note: an MP/MC thread
 * that died between moving the head and publishing leaves exactly that.
 * @see rte_ring_dump
 */
export function dumpText(h: Dumpable, r: DumpCore): string {
  const ht = h.headTail();
  const lines = [
    `ring <${h.name}>@${r.base}`,
    `  flags=${h.flags.toString(16)}`,
    `  size=${r.size}`,
    `  capacity=${r.capacity}`,
    `  esize=${r.esize}`,
    `  prod sync=${SYNC_NAMES[r.prodSync]} cons sync=${SYNC_NAMES[r.consSync]}`,
    `  ct=${ht.consTail}`,
    `  ch=${ht.consHead}`,
    `  pt=${ht.prodTail}`,
    `  ph=${ht.prodHead}`,
    `  used=${h.count()}`,
    `  avail=${h.freeCount()}`,
  ];
  if (r.prodSync === SYNC_MT_RTS || r.consSync === SYNC_MT_RTS) lines.push(`  prod in flight=${ht.prodInFlight} cons in flight=${ht.consInFlight}`);
  const pending = (ht.prodHead - ht.prodTail) >>> 0;
  const cpending = (ht.consHead - ht.consTail) >>> 0;
  if (pending !== 0) lines.push(`  producer: ${pending} slots claimed but not yet published (head ahead of tail)`);
  if (cpending !== 0) lines.push(`  consumer: ${cpending} slots claimed but not yet released (head ahead of tail)`);
  return lines.join('\n');
}

/** Int32 word indices of the six counters of a ring's two sides. */
export interface CounterWords {
  ph: number;
  pt: number;
  pInf: number;
  ch: number;
  ct: number;
  cInf: number;
}

/** What recovery touches of a thread's view of a ring (RingCore, or ring-wasm's WasmCore). */
export type Recoverable = Pick<RingCore, 'i32' | 'u32' | 'f64' | 'mask' | 'esize' | 'words' | 'slotF64' | 'slotU32' | 'peekProd' | 'peekCons'>;

/**
 * Recovery after a thread died between claiming slots and finishing: slots
 * claimed by producers but never published are filled with `poison` (words
 * of all ones on element rings) and published; slots claimed by consumers
 * but never released are released. Returns the slots fixed on each side.
 * Not thread-safe: every live user of the ring has stopped.
 */
export function recoverRing(r: Recoverable, w: CounterWords, poison: number): { published: number; released: number } {
  const i32 = r.i32;
  const ph = Atomics.load(i32, w.ph);
  const pt = Atomics.load(i32, w.pt);
  const published = (ph - pt) >>> 0;
  for (let k = 0; k < published; k++) {
    const slot = (pt + k) & r.mask;
    if (r.esize === 8) r.f64[r.slotF64 + slot] = poison;
    else r.u32.fill(0xffffffff, r.slotU32 + slot * r.words, r.slotU32 + (slot + 1) * r.words);
  }
  Atomics.store(i32, w.pt, ph);
  Atomics.store(i32, w.pInf, 0);
  const ch = Atomics.load(i32, w.ch);
  const released = (ch - Atomics.load(i32, w.ct)) >>> 0;
  Atomics.store(i32, w.ct, ch);
  Atomics.store(i32, w.cInf, 0);
  r.peekProd = -1;
  r.peekCons = -1;
  return { published, released };
}
