// @ts-check
/**
 * What the primary and every lcore (thread or process) agree on: object
 * names, and the layout of the stats memzone — a block of control words
 * (stop, abort, go, done counts) and one counter slot per lcore, written by
 * that lcore alone and read live by the primary's main thread.
 *
 * Memzone "pktpipe_stats":
 *   [0, 64)           control: Int32 words C_*
 *   [64 + k*384, ...) slot k: 48 Float64 counters S_* (slot 0 RX, 1..N workers, N+1 TX)
 */
import { MBUF_FIELD, Memzones } from '@rtemem/mbuf';

/*
 * mbuf header fields the lcores read and write straight from a list's typed
 * arrays: indexes into f64 (>> 3), u32 (>> 2) or u16 (>> 1) from the mbuf's
 * byte offset (DPDK 22.11 offsets, from MBUF_FIELD).
 */
export const F_BUF_ADDR = MBUF_FIELD.bufAddr >> 3;
export const F_NEXT = MBUF_FIELD.next >> 3;
export const F_PKT_LEN = MBUF_FIELD.pktLen >> 2;
export const F_HASH = MBUF_FIELD.hash >> 2;
export const F_OL_FLAGS = MBUF_FIELD.olFlags >> 2;
export const F_DATA_OFF = MBUF_FIELD.dataOff >> 1;
export const F_DATA_LEN = MBUF_FIELD.dataLen >> 1;
export const F_PORT = MBUF_FIELD.port >> 1;

export const POOL_NAME = 'pktpipe_pool';
export const STATS_NAME = 'pktpipe_stats';
/** Dynamic mbuf field for the RX timestamp, under DPDK's name (rte_mbuf_dyn_timestamp_register). */
export const TIMESTAMP_DYNFIELD = 'rte_dynfield_timestamp';
/** @param {number} w */
export const rxRingName = (w) => `pktpipe_rx${w}`;
/** @param {number} w */
export const txRingName = (w) => `pktpipe_tx${w}`;

/*
 * Multi-process messages (eal.mp*) between the primary and its secondary
 * processes (--procs); data is JSON.
 */
/** Secondary -> primary (message): attached and ready to start, { index, pid }. */
export const MP_HELLO = 'pktpipe_hello';
/** Primary -> secondaries (request): launch your lcore; reply { ok, message }. */
export const MP_START = 'pktpipe_start';
/** Secondary -> primary (message): my lcore returned, { index, ok, message }. */
export const MP_DONE = 'pktpipe_done';
/** Primary -> secondaries (message): clean up and exit. */
export const MP_STOP = 'pktpipe_stop';

/* Control words (Int32 indexes). */
/** Main -> RX: stop producing (then the pipeline drains). */
export const C_STOP = 0;
/** Main -> all: stop at once, do not drain (an lcore failed). */
export const C_ABORT = 1;
/** Main -> all: every lcore is ready, start. */
export const C_GO = 2;
/** RX -> workers: RX has enqueued its last packet. */
export const C_RX_DONE = 3;
/** Workers -> TX: how many workers have enqueued their last packet. */
export const C_WORKERS_DONE = 4;
/** An always-zero word that idle lcores Atomics.wait() on, with a timeout, to sleep briefly. */
export const C_SLEEP = 5;
export const CONTROL_BYTES = 64;

/* Counter slots (Float64 indexes within a slot). */
export const SLOT_F64 = 48;
export const SLOT_BYTES = SLOT_F64 * 8;
/** ST_* below. */
export const S_STATE = 0;
export const S_LCORE = 1;
export const S_PID = 2;
/** Packets taken in: made by RX, dequeued by a worker or TX. */
export const S_PKTS = 3;
/** Bytes of those packets. */
export const S_BYTES = 4;
/** Packets passed on: enqueued by RX, forwarded by a worker, written by TX. */
export const S_OUT = 5;
/** Packets dropped (workers). */
export const S_DROPS = 6;
/** Times the lcore found the next ring full and waited for room. */
export const S_WAITS = 7;
/** Empty polls. */
export const S_IDLE = 8;
/** Milliseconds asleep with nothing to do (busy = end - start - idle - wait). */
export const S_IDLE_MS = 9;
/** Epoch milliseconds when the lcore started (C_GO) and finished. */
export const S_START_MS = 10;
export const S_END_MS = 11;
/** Mbuf segments taken in (RX: more than packets when big packets are chained). */
export const S_SEGS = 12;
/** Times RX waited for free mbufs (the pool, as this lcore sees it, had fewer than a burst). */
export const S_NOMBUF = 13;
/** Milliseconds spent waiting for ring room or free mbufs. */
export const S_WAIT_MS = 14;
/** Drop counters by reason code (packet.mjs DROP_*). */
export const S_DROP_BASE = 16;
/** Packets per output port (TX). */
export const S_PORT_BASE = 32;
export const MAX_PORTS = 16;

export const ST_STARTING = 0;
export const ST_READY = 1;
export const ST_RUNNING = 2;
export const ST_DONE = 3;
export const ST_FAILED = 4;

/** Packets per burst (DPDK's MAX_PKT_BURST). */
export const BURST = 32;

/** @param {number} nWorkers */
export function statsBytes(nWorkers) {
  return CONTROL_BYTES + (nWorkers + 2) * SLOT_BYTES;
}

/** The stats memzone seen from one thread: control words and counter slots. */
export class SharedStats {
  /**
   * @param {import('@rtemem/mbuf').Memzone} mz
   * @param {number} nWorkers
   */
  constructor(mz, nWorkers) {
    const v = mz.bytes();
    if (v.byteLength < statsBytes(nWorkers)) throw new Error(`memzone ${STATS_NAME} is ${v.byteLength} bytes, ${statsBytes(nWorkers)} needed for ${nWorkers} workers`);
    this.nWorkers = nWorkers;
    /** Control words. */
    this.ctl = new Int32Array(v.buffer, v.byteOffset, CONTROL_BYTES / 4);
    /** Every slot's counters: slot k starts at k * SLOT_F64. */
    this.f64 = new Float64Array(v.buffer, v.byteOffset + CONTROL_BYTES, (nWorkers + 2) * SLOT_F64);
  }

  /**
   * Reserves and zeroes the memzone (the primary).
   * @param {import('@rtemem/mbuf').Eal} eal
   * @param {number} nWorkers
   */
  static create(eal, nWorkers) {
    const mz = Memzones.of(eal).reserve(STATS_NAME, statsBytes(nWorkers));
    mz.bytes().fill(0);
    return new SharedStats(mz, nWorkers);
  }

  /**
   * Finds the memzone (an lcore, in any thread or process).
   * @param {import('@rtemem/mbuf').Eal} eal
   * @param {number} nWorkers
   */
  static lookup(eal, nWorkers) {
    const mz = Memzones.of(eal).lookup(STATS_NAME);
    if (mz === null) throw new Error(`memzone ${STATS_NAME} not found: is the pktpipe primary running?`);
    return new SharedStats(mz, nWorkers);
  }

  /** Slot of RX. */
  get rxSlot() {
    return 0;
  }

  /** @param {number} w */
  workerSlot(w) {
    return 1 + w;
  }

  get txSlot() {
    return this.nWorkers + 1;
  }

  /**
   * Float64 index of counter `field` of slot `slot`.
   * @param {number} slot
   * @param {number} field
   */
  at(slot, field) {
    return slot * SLOT_F64 + field;
  }

  /**
   * @param {number} slot
   * @param {number} field
   */
  get(slot, field) {
    return this.f64[slot * SLOT_F64 + field];
  }
}

/**
 * Idle strategy of a polling lcore: spin a little, then sleep ~50 us at a
 * time, so that lcores with nothing to do leave the CPU to those that have
 * (the demo runs more lcores than most machines have cores).
 * Atomics.wait's timeout works across processes; its notify would not,
 * and nothing here needs it. The time asleep goes to `f64[sleptAt]` when
 * given (clock reads allocate, so only sleeps, not bursts, are timed).
 * Every few thousand sleeps it calls `alive` (a secondary checks that its
 * primary still lives): when that returns false it raises C_ABORT and throws.
 */
export class Backoff {
  /**
   * @param {Int32Array} ctl
   * @param {() => boolean} [alive]
   * @param {Float64Array | null} [f64]
   * @param {number} [sleptAt]
   */
  constructor(ctl, alive, f64 = null, sleptAt = -1) {
    this.ctl = ctl;
    this.spins = 0;
    this.sleeps = 0;
    this.alive = alive ?? null;
    this.f64 = f64;
    this.sleptAt = sleptAt;
  }

  idle() {
    if (++this.spins < 32) return;
    if (this.f64 !== null) {
      const t0 = epochMs();
      Atomics.wait(this.ctl, C_SLEEP, 0, 0.05);
      this.f64[this.sleptAt] += epochMs() - t0;
    } else {
      Atomics.wait(this.ctl, C_SLEEP, 0, 0.05);
    }
    if ((++this.sleeps & 4095) === 0 && this.alive !== null && !this.alive()) {
      Atomics.store(this.ctl, C_ABORT, 1);
      throw new Error('the primary process is gone');
    }
  }

  reset() {
    this.spins = 0;
  }
}

/**
 * Waits for C_GO. Returns false when the run was aborted first; throws
 * when `alive` says the primary is gone.
 * @param {Int32Array} ctl
 * @param {() => boolean} alive
 */
export function waitGo(ctl, alive) {
  for (let i = 1; Atomics.load(ctl, C_GO) === 0; i++) {
    if (Atomics.load(ctl, C_ABORT) !== 0) return false;
    Atomics.wait(ctl, C_GO, 0, 1);
    if (i % 256 === 0 && !alive()) throw new Error('the primary process is gone');
  }
  return Atomics.load(ctl, C_ABORT) === 0;
}

/** Milliseconds since the epoch, with sub-millisecond resolution (comparable across processes). */
export function epochMs() {
  return performance.timeOrigin + performance.now();
}
