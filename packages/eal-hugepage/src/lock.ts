/**
 * Spinlocks in shared memory that work across threads and processes.
 *
 * A lock is two Int32 words: the owner's pid (0 = free) and the owner's
 * lcore id. Waiters spin briefly, then sleep in short, growing steps on a
 * private cell (Atomics.wait wakes only threads of one process, so nothing
 * here relies on notify). A waiter that finds the owner process dead takes
 * the lock over and lets the structure repair itself (onRecover).
 *
 * Bounded waiting: a plain test-and-set lock lets a waiter that sleeps lose
 * every race to threads that spin, for seconds under contention. So a
 * waiter that has waited STARVING_MS sets the RESERVED bit (bit 30) of the
 * owner word, once nobody else has: when the owner releases, the word stays
 * RESERVED instead of 0, every other taker's compare-and-swap from 0 fails,
 * and the reserving waiter takes it next. A reservation nobody takes for
 * RESERVATION_MS (its waiter died, or lost its core) is taken by whoever
 * sees it, so a reservation never blocks the lock for long. Pids are below
 * 2**22 on Linux, so the bit never collides with one.
 */
import { LOCK_WORD_LCORE, LOCK_WORD_OWNER } from './layout.js';
import { processAlive } from './process-info.js';

const SPINS_BEFORE_SLEEP = 200;
const CHECK_OWNER_EVERY = 16; // sleeps between liveness checks of the owner
const MAX_SLEEP_MS = 1;
/** A waiter that has waited this long reserves the lock (see above). */
const STARVING_MS = 4;
/** A reservation left this long is void. */
const RESERVATION_MS = 20;
/** Bit of the owner word that reserves the lock for one starving waiter. */
export const LOCK_RESERVED = 0x40000000;
const PID_MASK = 0x3fffffff;

// A private cell that nobody notifies: Atomics.wait on it is a precise sleep.
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** Who holds a lock. */
export interface LockOwner {
  pid: number;
  lcore: number;
}

/**
 * Tries once to take the lock at byte offset `off` of `i32`'s buffer.
 * Returns true when taken.
 */
export function lockTry(i32: Int32Array, off: number, pid: number, lcore: number): boolean {
  const w = (off + LOCK_WORD_OWNER) >> 2;
  if (Atomics.compareExchange(i32, w, 0, pid) !== 0) return false;
  i32[(off + LOCK_WORD_LCORE) >> 2] = lcore;
  return true;
}

/**
 * Takes the lock, waiting as long as its owner lives. When the owner process
 * has died, takes it over and calls `onRecover` (with the lock held) so the
 * guarded structure can make itself consistent.
 */
export function lockAcquire(
  i32: Int32Array,
  off: number,
  pid: number,
  lcore: number,
  onRecover?: (dead: LockOwner) => void,
): void {
  const w = (off + LOCK_WORD_OWNER) >> 2;
  if (Atomics.compareExchange(i32, w, 0, pid) === 0) {
    i32[(off + LOCK_WORD_LCORE) >> 2] = lcore;
    return;
  }
  lockAcquireSlow(i32, off, pid, lcore, onRecover);
}

function lockAcquireSlow(
  i32: Int32Array,
  off: number,
  pid: number,
  lcore: number,
  onRecover?: (dead: LockOwner) => void,
): void {
  const w = (off + LOCK_WORD_OWNER) >> 2;
  const lw = (off + LOCK_WORD_LCORE) >> 2;
  const start = performance.now();
  let sleeps = 0;
  let sleep = 0.005;
  // This waiter set the RESERVED bit; when it saw a reservation standing.
  let reserved = false;
  let reservationSeen = 0;
  for (let spin = 0; ; spin++) {
    const word = Atomics.load(i32, w);
    const owner = word & PID_MASK;
    if (owner === 0) {
      if (word === 0 || reserved) {
        // Free (and, when reserved, ours to take).
        if (Atomics.compareExchange(i32, w, word, pid) === word) {
          i32[lw] = lcore;
          return;
        }
        continue;
      }
      // Free but reserved for another waiter: wait for it, not forever.
      const now = performance.now();
      if (reservationSeen === 0) reservationSeen = now;
      else if (now - reservationSeen > RESERVATION_MS && Atomics.compareExchange(i32, w, word, pid) === word) {
        i32[lw] = lcore;
        return;
      }
    } else {
      reservationSeen = 0;
      if (reserved && (word & LOCK_RESERVED) === 0) reserved = false; // voided: taken by someone else
    }
    if (spin < SPINS_BEFORE_SLEEP) continue;
    if (!reserved && owner !== 0 && (word & LOCK_RESERVED) === 0 && performance.now() - start > STARVING_MS) {
      reserved = Atomics.compareExchange(i32, w, word, word | LOCK_RESERVED) === word;
    }
    if (sleeps % CHECK_OWNER_EVERY === CHECK_OWNER_EVERY - 1 && owner !== 0 && owner !== pid && !processAlive(owner)) {
      const deadLcore = i32[lw]!;
      if (Atomics.compareExchange(i32, w, word, pid) === word) {
        i32[lw] = lcore;
        onRecover?.({ pid: owner, lcore: deadLcore });
        return;
      }
    }
    // A reserving waiter polls often: the lock is handed to it.
    sleepMs(reserved ? 0.005 : sleep);
    sleeps++;
    sleep = Math.min(MAX_SLEEP_MS, sleep * 2);
  }
}

/** Releases the lock (keeping a waiter's reservation). */
export function lockRelease(i32: Int32Array, off: number): void {
  i32[(off + LOCK_WORD_LCORE) >> 2] = -1;
  Atomics.and(i32, (off + LOCK_WORD_OWNER) >> 2, LOCK_RESERVED);
}

/** The current owner, or null when the lock is free. */
export function lockOwner(i32: Int32Array, off: number): LockOwner | null {
  const pid = Atomics.load(i32, (off + LOCK_WORD_OWNER) >> 2) & PID_MASK;
  if (pid === 0) return null;
  return { pid, lcore: i32[(off + LOCK_WORD_LCORE) >> 2]! };
}
