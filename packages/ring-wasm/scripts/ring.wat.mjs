/**
 * The WebAssembly side of @rtemem/ring-wasm, as WebAssembly text: head and
 * tail moves of every sync mode and the single-object operations, on the
 * shared layout of @rtemem/ring (offsets from packages/ring/src/layout.ts). Every
 * function takes `r`, the ring's byte offset in the imported memory.
 *
 * `release` is how a tail is published: a plain store on x86 (TSO makes
 * every store a release store, as DPDK's C relies on there; the compiler
 * keeps wasm stores in program order), an atomic (seq-cst) store in the
 * strict build (other CPUs, or RTEMEM_RING_STRICT_ATOMICS=1). Every read of
 * the other side's tail is an atomic load: on x86 a plain mov, and never
 * hoisted out of a wait loop.
 *
 * @see lib/ring/rte_ring_c11_pvt.h, rte_ring_hts_elem_pvt.h, rte_ring_rts_elem_pvt.h in DPDK
 */


export function ringWat(L, strict) {
  const rel = strict ? 'i32.atomic.store' : 'i32.store';
  const P = L.RING_PROD;
  const C = L.RING_CONS;
  const H = L.HT_HEAD;
  const T = L.HT_TAIL;
  const I = L.HT_INFLIGHT;
  // Head, tail and in-flight offsets of one side.
  const side = (s) => ({ head: s + H, tail: s + T, inf: s + I, htd: s === P ? L.RING_HDR_PROD_HTD : L.RING_HDR_CONS_HTD });
  // Entries the side can take at head $oh: free slots (producer), used ones
  // (consumer), from the other side's tail as it is now (HTS and RTS moves).
  const avail = (s) =>
    s === P
      ? `(i32.sub (i32.add (i32.load offset=${L.RING_HDR_CAPACITY} (local.get $r)) (i32.atomic.load offset=${C + T} (local.get $r))) (local.get $oh))`
      : `(i32.sub (i32.atomic.load offset=${P + T} (local.get $r)) (local.get $oh))`;
  // The same through this thread's cache of the other side's tail (ST and MT
  // moves): enough to take `nExpr` by the cached tail, or the real one.
  const cached = (s, nExpr) => `(call $${s === P ? 'free' : 'used'} (local.get $r) (local.get $oh) ${nExpr})`;
  const slot = (ohExpr) =>
    `(i32.add (local.get $r) (i32.add (i32.const ${L.RING_SLOTS}) (i32.shl (i32.and ${ohExpr} (i32.load offset=${L.RING_HDR_MASK} (local.get $r))) (i32.const 3))))`;

  // How many of n to take given `avail` in $e: n, or 0 / $e.
  const take = `(select (local.get $n) (select (i32.const 0) (local.get $e) (local.get $fixed)) (i32.le_u (local.get $n) (local.get $e)))`;

  // The move of one side in one sync mode: leaves $oh, $m, sets $entries.
  const moveBody = (s, sync) => {
    const x = side(s);
    switch (sync) {
      case L.SYNC_ST:
        return `
      (local.set $oh (i32.load offset=${x.head} (local.get $r)))
      ;; head ahead of tail on a single-thread side: a peek on it is not finished
      (if (i32.ne (local.get $oh) (i32.load offset=${x.tail} (local.get $r))) (then (return (i32.const -16))))
      (local.set $e ${cached(s, '(local.get $n)')})
      (local.set $m ${take})
      (if (local.get $m) (then (i32.store offset=${x.head} (local.get $r) (i32.add (local.get $oh) (local.get $m)))))`;
      case L.SYNC_MT:
        return `
      (loop $retry
        (local.set $oh (i32.atomic.load offset=${x.head} (local.get $r)))
        (local.set $e ${cached(s, '(local.get $n)')})
        (local.set $m ${take})
        (if (local.get $m)
          (then (br_if $retry (i32.ne (local.get $oh)
            (i32.atomic.rmw.cmpxchg offset=${x.head} (local.get $r) (local.get $oh) (i32.add (local.get $oh) (local.get $m))))))))`;
      case L.SYNC_MT_HTS:
        return `
      (loop $retry
        (local.set $oh (i32.atomic.load offset=${x.head} (local.get $r)))
        ;; one operation at a time: wait for the one in progress to finish
        (if (i32.ne (local.get $oh) (i32.atomic.load offset=${x.tail} (local.get $r)))
          (then (call $pause (i32.add (local.get $r) (i32.const ${x.tail})) (local.get $spins))
                (local.set $spins (i32.add (local.get $spins) (i32.const 1)))
                (br $retry)))
        (local.set $e ${avail(s)})
        (local.set $m ${take})
        (if (local.get $m)
          (then (br_if $retry (i32.ne (local.get $oh)
            (i32.atomic.rmw.cmpxchg offset=${x.head} (local.get $r) (local.get $oh) (i32.add (local.get $oh) (local.get $m))))))))`;
      case L.SYNC_MT_RTS:
        return `
      (loop $retry
        ;; a head at most htd_max ahead of its tail
        (local.set $oh (i32.atomic.load offset=${x.head} (local.get $r)))
        (if (i32.gt_u (i32.sub (local.get $oh) (i32.atomic.load offset=${x.tail} (local.get $r))) (i32.load offset=${x.htd} (local.get $r)))
          (then (call $pause (i32.add (local.get $r) (i32.const ${x.tail})) (local.get $spins))
                (local.set $spins (i32.add (local.get $spins) (i32.const 1)))
                (br $retry)))
        (local.set $e ${avail(s)})
        (local.set $m ${take})
        (if (i32.gt_s (local.get $m) (i32.const 0))
          (then
            (drop (i32.atomic.rmw.add offset=${x.inf} (local.get $r) (i32.const 1)))
            (if (i32.ne (local.get $oh)
                  (i32.atomic.rmw.cmpxchg offset=${x.head} (local.get $r) (local.get $oh) (i32.add (local.get $oh) (local.get $m))))
              (then (call $rtsLeave_${s} (local.get $r)) (br $retry))))
          (else (local.set $m (i32.const 0)))))`;
    }
    throw new Error(`sync ${sync}`);
  };

  const syncs = [L.SYNC_MT, L.SYNC_ST, L.SYNC_MT_RTS, L.SYNC_MT_HTS];
  const names = { [L.SYNC_MT]: 'mt', [L.SYNC_ST]: 'st', [L.SYNC_MT_RTS]: 'rts', [L.SYNC_MT_HTS]: 'hts' };

  // move_<side>_<sync>(r, n, fixed) -> i32, never a double: a double handed
  // back to JavaScript outside an inlined call is a heap number (garbage per
  // call), an i32 below 2**30 is a small integer in every V8 build. It is
  //   (m << log2(size)) | (oldHead & mask)  when m > 0 and that is below 2**30,
  //   0    nothing claimed,
  //   -1   claimed, but too many to pack (size * m >= 2**30): last_count and
  //        last_head say what,
  //   -16  a single-thread side with a peek open (EBUSY).
  // The slot index is all JavaScript needs: it copies from there, and the end
  // calls find the old head again from it (see end_<side>_<sync> below).
  const moves = [P, C]
    .flatMap((s) =>
      syncs.map(
        (sync) => `
  (func $move_${s}_${names[sync]} (export "move_${s === P ? 'prod' : 'cons'}_${names[sync]}") (param $r i32) (param $n i32) (param $fixed i32) (result i32)
    (local $oh i32) (local $e i32) (local $m i32) (local $spins i32) (local $mask i32) (local $sh i32)
    ${moveBody(s, sync)}
    (global.set $entries (local.get $e))
    (global.set $lastHead (local.get $oh))
    (global.set $lastCount (local.get $m))
    (if (i32.eqz (local.get $m)) (then (return (i32.const 0))))
    (local.set $mask (i32.load offset=${L.RING_HDR_MASK} (local.get $r)))
    (local.set $sh (i32.popcnt (local.get $mask)))
    (select
      (i32.or (i32.shl (local.get $m) (local.get $sh)) (i32.and (local.get $oh) (local.get $mask)))
      (i32.const -1)
      (i32.lt_u (local.get $m) (i32.shr_u (i32.const 0x40000000) (local.get $sh)))))`,
      ),
    )
    .join('\n');

  // end_<side>_<sync>(r, idx, m): publish the m slots a move claimed from
  // slot index idx. The old head is the counter at or after the tail that
  // has idx as its slot: a side's tail is less than `size` behind any head
  // claimed on it (head - tail <= capacity < size), so that counter is the
  // head the move saw, exactly.
  const ends = [P, C]
    .flatMap((s) => {
      const x = side(s);
      const nm = s === P ? 'prod' : 'cons';
      return [
        `
  (func (export "end_${nm}_st") (param $r i32) (param $idx i32) (param $m i32)
    ;; a single-thread side: its tail is the old head
    (${rel} offset=${x.tail} (local.get $r) (i32.add (i32.load offset=${x.tail} (local.get $r)) (local.get $m))))`,
        `
  (func (export "end_${nm}_mt") (param $r i32) (param $idx i32) (param $m i32)
    (local $t i32)
    (local.set $t (i32.atomic.load offset=${x.tail} (local.get $r)))
    (call $publish_${s} (local.get $r)
      (i32.add (local.get $t) (i32.and (i32.sub (local.get $idx) (local.get $t)) (i32.load offset=${L.RING_HDR_MASK} (local.get $r))))
      (local.get $m)))`,
        `
  (func $publish_${s} (param $r i32) (param $oh i32) (param $m i32)
    (local $spins i32)
    ;; tails move in head order: wait for the threads that claimed before us
    (block $done (loop $wait
      (br_if $done (i32.eq (i32.atomic.load offset=${x.tail} (local.get $r)) (local.get $oh)))
      (call $pause (i32.add (local.get $r) (i32.const ${x.tail})) (local.get $spins))
      (local.set $spins (i32.add (local.get $spins) (i32.const 1)))
      (br $wait)))
    (${rel} offset=${x.tail} (local.get $r) (i32.add (local.get $oh) (local.get $m))))`,
        `
  (func (export "end_${nm}_rts") (param $r i32) (param $idx i32) (param $m i32)
    (call $rtsLeave_${s} (local.get $r)))`,
        `
  (func (export "end_${nm}_hts") (param $r i32) (param $idx i32) (param $m i32)
    (call $finish_${s} (local.get $r) (local.get $m)))`,
        // HTS, and a peek of a single-thread side: one operation at a time, so
        // the tail is the old head.
        `
  (func $finish_${s} (param $r i32) (param $n i32)
    (local $to i32)
    (local.set $to (i32.add (i32.atomic.load offset=${x.tail} (local.get $r)) (local.get $n)))
    ;; head first: nobody may see head == tail before both are there
    (i32.atomic.store offset=${x.head} (local.get $r) (local.get $to))
    (${rel} offset=${x.tail} (local.get $r) (local.get $to)))`,
        // RTS: leave the in-flight set; the last one out moves the tail up to the head.
        `
  (func $rtsLeave_${s} (param $r i32)
    (local $h i32) (local $t i32)
    (if (i32.ne (i32.atomic.rmw.sub offset=${x.inf} (local.get $r) (i32.const 1)) (i32.const 1)) (then (return)))
    (local.set $h (i32.atomic.load offset=${x.head} (local.get $r)))
    (if (i32.atomic.load offset=${x.inf} (local.get $r)) (then (return)))
    (loop $cas
      (local.set $t (i32.atomic.load offset=${x.tail} (local.get $r)))
      (if (i32.le_s (i32.sub (local.get $h) (local.get $t)) (i32.const 0)) (then (return)))
      (br_if $cas (i32.ne (local.get $t) (i32.atomic.rmw.cmpxchg offset=${x.tail} (local.get $r) (local.get $t) (local.get $h))))))`,
      ];
    })
    .join('\n');

  return `(module
  (import "env" "memory" (memory 1 65536 shared))
  (global $entries (mut i32) (i32.const 0))
  (global $lastHead (mut i32) (i32.const 0))
  (global $lastCount (mut i32) (i32.const 0))
  (global $status (mut i32) (i32.const 0))
  ;; This thread's cache of the other side's tail (an instance serves one
  ;; thread): the consumer tail a producer last read (ring, tail, ring
  ;; generation), and the producer tail a consumer last read. Tails only move
  ;; forward, so a cached tail is at or behind the truth and only ever shows
  ;; less room than there is; the other side's tail (a cache line it keeps
  ;; writing) is read again only when the cached one shows too little, as
  ;; the JS ring does (its core.ts freeEntries / usedEntries).
  (global $pRing (mut i32) (i32.const -1))
  (global $pTail (mut i32) (i32.const 0))
  (global $pGen (mut i32) (i32.const 0))
  (global $cRing (mut i32) (i32.const -1))
  (global $cTail (mut i32) (i32.const 0))
  (global $cGen (mut i32) (i32.const 0))

  ;; Free slots for a producer at head $oh: by the cached consumer tail when
  ;; it shows room for $n (and is this ring's, of its current generation,
  ;; and sane), else by the real one, which becomes the cached one.
  (func $free (param $r i32) (param $oh i32) (param $n i32) (result i32)
    (local $cap i32) (local $e i32)
    (local.set $cap (i32.load offset=${L.RING_HDR_CAPACITY} (local.get $r)))
    (if (i32.and (i32.eq (global.get $pRing) (local.get $r)) (i32.eq (global.get $pGen) (i32.load offset=${L.RING_HDR_GEN} (local.get $r))))
      (then
        (local.set $e (i32.sub (i32.add (local.get $cap) (global.get $pTail)) (local.get $oh)))
        (if (i32.and (i32.ge_s (local.get $e) (local.get $n)) (i32.le_u (local.get $e) (local.get $cap))) (then (return (local.get $e))))))
    ;; the generation before the tail: a reset between the two shows as a new generation next time
    (global.set $pGen (i32.atomic.load offset=${L.RING_HDR_GEN} (local.get $r)))
    (global.set $pTail (i32.atomic.load offset=${C + T} (local.get $r)))
    (global.set $pRing (local.get $r))
    (i32.sub (i32.add (local.get $cap) (global.get $pTail)) (local.get $oh)))

  ;; Used slots for a consumer at head $oh, read like $free.
  (func $used (param $r i32) (param $oh i32) (param $n i32) (result i32)
    (local $e i32)
    (if (i32.and (i32.eq (global.get $cRing) (local.get $r)) (i32.eq (global.get $cGen) (i32.load offset=${L.RING_HDR_GEN} (local.get $r))))
      (then
        (local.set $e (i32.sub (global.get $cTail) (local.get $oh)))
        (if (i32.and (i32.ge_s (local.get $e) (local.get $n)) (i32.le_u (local.get $e) (i32.load offset=${L.RING_HDR_CAPACITY} (local.get $r))))
          (then (return (local.get $e))))))
    (global.set $cGen (i32.atomic.load offset=${L.RING_HDR_GEN} (local.get $r)))
    (global.set $cTail (i32.atomic.load offset=${P + T} (local.get $r)))
    (global.set $cRing (local.get $r))
    (i32.sub (global.get $cTail) (local.get $oh)))

  ;; Drops this thread's cached tails of the ring at $r: a new handle calls
  ;; it, since a ring made where a freed one was starts its tails again.
  (func (export "forget") (param $r i32)
    (if (i32.eq (global.get $pRing) (local.get $r)) (then (global.set $pRing (i32.const -1))))
    (if (i32.eq (global.get $cRing) (local.get $r)) (then (global.set $cRing (i32.const -1)))))

  ;; Spins a while, then sleeps on the word waited for (1 us, 50 us after
  ;; 4096 spins): the thread we wait for may have lost its core.
  (func $pause (param $addr i32) (param $spins i32)
    (if (i32.gt_u (local.get $spins) (i32.const 64))
      (then (drop (memory.atomic.wait32 (local.get $addr) (i32.atomic.load (local.get $addr))
        (select (i64.const 50000) (i64.const 1000) (i32.gt_u (local.get $spins) (i32.const 4096))))))))

  ;; What the last move saw: entries for the free_space / available out
  ;; values; head and count when its result could not pack them.
  (func (export "entries") (result i32) (global.get $entries))
  (func (export "last_head") (result i32) (global.get $lastHead))
  (func (export "last_count") (result i32) (global.get $lastCount))
  ;; Why the last single dequeue returned NaN: -2 empty, -16 a peek open (0: NaN was the object).
  (func (export "status") (result i32) (global.get $status))
${moves}
${ends}

  ;; Single objects on rings of numbers (esize 8), whole in one call.
  (func (export "enq1_st") (param $r i32) (param $obj f64) (result i32)
    (local $oh i32)
    (local.set $oh (i32.load offset=${P + H} (local.get $r)))
    (if (i32.ne (local.get $oh) (i32.load offset=${P + T} (local.get $r))) (then (return (i32.const -16))))
    (if (i32.lt_s ${cached(P, '(i32.const 1)')} (i32.const 1)) (then (return (i32.const -${L.ENOBUFS}))))
    (f64.store ${slot('(local.get $oh)')} (local.get $obj))
    (i32.store offset=${P + H} (local.get $r) (i32.add (local.get $oh) (i32.const 1)))
    (${rel} offset=${P + T} (local.get $r) (i32.add (local.get $oh) (i32.const 1)))
    (i32.const 0))

  (func (export "enq1_mt") (param $r i32) (param $obj f64) (result i32)
    (local $oh i32)
    (loop $retry
      (local.set $oh (i32.atomic.load offset=${P + H} (local.get $r)))
      (if (i32.lt_s ${cached(P, '(i32.const 1)')} (i32.const 1)) (then (return (i32.const -${L.ENOBUFS}))))
      (br_if $retry (i32.ne (local.get $oh)
        (i32.atomic.rmw.cmpxchg offset=${P + H} (local.get $r) (local.get $oh) (i32.add (local.get $oh) (i32.const 1))))))
    (f64.store ${slot('(local.get $oh)')} (local.get $obj))
    (call $publish_${P} (local.get $r) (local.get $oh) (i32.const 1))
    (i32.const 0))

  ;; deq1 returns the object itself, as Ring.dequeue does: no packing, and
  ;; a double it hands back is what the caller receives either way.
  (func (export "deq1_st") (param $r i32) (result f64)
    (local $oh i32) (local $obj f64)
    (local.set $oh (i32.load offset=${C + H} (local.get $r)))
    (if (i32.ne (local.get $oh) (i32.load offset=${C + T} (local.get $r)))
      (then (global.set $status (i32.const -16)) (return (f64.const nan))))
    (if (i32.lt_s ${cached(C, '(i32.const 1)')} (i32.const 1))
      (then (global.set $status (i32.const -2)) (return (f64.const nan))))
    (local.set $obj (f64.load ${slot('(local.get $oh)')}))
    (i32.store offset=${C + H} (local.get $r) (i32.add (local.get $oh) (i32.const 1)))
    (${rel} offset=${C + T} (local.get $r) (i32.add (local.get $oh) (i32.const 1)))
    (global.set $status (i32.const 0))
    (local.get $obj))

  (func (export "deq1_mt") (param $r i32) (result f64)
    (local $oh i32) (local $obj f64)
    (loop $retry
      (local.set $oh (i32.atomic.load offset=${C + H} (local.get $r)))
      (if (i32.lt_s ${cached(C, '(i32.const 1)')} (i32.const 1))
        (then (global.set $status (i32.const -2)) (return (f64.const nan))))
      (br_if $retry (i32.ne (local.get $oh)
        (i32.atomic.rmw.cmpxchg offset=${C + H} (local.get $r) (local.get $oh) (i32.add (local.get $oh) (i32.const 1))))))
    (local.set $obj (f64.load ${slot('(local.get $oh)')}))
    (call $publish_${C} (local.get $r) (local.get $oh) (i32.const 1))
    (global.set $status (i32.const 0))
    (local.get $obj))

  ;; Peek / zero-copy finish (SP/SC and HTS): head and tail to the old head
  ;; (the tail) + n, the rest of the claim given back.
  (func (export "finish_prod") (param $r i32) (param $n i32)
    (call $finish_${P} (local.get $r) (local.get $n)))
  (func (export "finish_cons") (param $r i32) (param $n i32)
    (call $finish_${C} (local.get $r) (local.get $n)))
)
`;
}
