/**
 * A barrier on every CPU, for slow paths that pair with plain (non-atomic)
 * stores on another thread's fast path: after it returns, every store that
 * any thread of any rtemem process made before it is visible here.
 *
 * @see membarrier(2); liburcu's asymmetric fences work the same way
 */
import { native } from './native.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs membarrier(2) (expedited where the kernel has it: microseconds;
 * else the global command: milliseconds). Without the addon or the system
 * call, waits 2 ms instead: a thread's store buffer drains in nanoseconds
 * while it runs and at once when it is switched out, so a store older than
 * that is visible everywhere; returns false to say the wait was used.
 */
export function systemBarrier(): boolean {
  const n = native();
  if (n !== null && n.membarrier() === 0) return true;
  Atomics.wait(pause, 0, 0, 2);
  return false;
}
