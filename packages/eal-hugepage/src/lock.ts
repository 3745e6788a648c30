/**
 * Spinlocks in shared memory that work across threads and processes.
 *
 * A lock is two Int32 words: the owner's pid (0 = free) and the owner's
 * lcore id. Waiters spin briefly, then sleep in short, growing steps on a
 * private cell (Atomics.wait wakes only threads of one process, so nothing
 * here relies on notify). A waiter that finds the owner process dead takes
 * the lock over and lets the structure repair itself (onRecover).
 */
import { LOCK_WORD_LCORE, LOCK_WORD_OWNER } from './layout.js';
import { processAlive } from './process-info.js';

const SPINS_BEFORE_SLEEP = 200;
const CHECK_OWNER_EVERY = 16; // sleeps between liveness checks of the owner
const MAX_SLEEP_MS = 1;

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
  let sleeps = 0;
  let sleep = 0.005;
  for (let spin = 0; ; spin++) {
    const owner = Atomics.load(i32, w);
    if (owner === 0) {
      if (Atomics.compareExchange(i32, w, 0, pid) === 0) {
        i32[(off + LOCK_WORD_LCORE) >> 2] = lcore;
        return;
      }
      continue;
    }
    if (spin < SPINS_BEFORE_SLEEP) continue;
    if (sleeps % CHECK_OWNER_EVERY === CHECK_OWNER_EVERY - 1 && owner !== pid && !processAlive(owner)) {
      const deadLcore = i32[(off + LOCK_WORD_LCORE) >> 2]!;
      if (Atomics.compareExchange(i32, w, owner, pid) === owner) {
        i32[(off + LOCK_WORD_LCORE) >> 2] = lcore;
        onRecover?.({ pid: owner, lcore: deadLcore });
        return;
      }
    }
    sleepMs(sleep);
    sleeps++;
    sleep = Math.min(MAX_SLEEP_MS, sleep * 2);
  }
}

/** Releases the lock. */
export function lockRelease(i32: Int32Array, off: number): void {
  i32[(off + LOCK_WORD_LCORE) >> 2] = -1;
  Atomics.store(i32, (off + LOCK_WORD_OWNER) >> 2, 0);
}

/** The current owner, or null when the lock is free. */
export function lockOwner(i32: Int32Array, off: number): LockOwner | null {
  const pid = Atomics.load(i32, (off + LOCK_WORD_OWNER) >> 2);
  if (pid === 0) return null;
  return { pid, lcore: i32[(off + LOCK_WORD_LCORE) >> 2]! };
}
