/**
 * Which process serves a queue. A queue's socket belongs to a process, so
 * each queue block in the port's memzone names its owner: the pid of the
 * process that started it and that process's start time. A queue is free
 * when it has no owner, when the owner is this process (whose threads share
 * the socket), or when the owner died: a secondary process that exited or
 * crashed holds nothing, and a pid reused by a newer process is not the
 * owner (its start time differs). Otherwise starting it is EBUSY. The
 * caller holds the memzone's lock (PortCore.lock) for claims.
 *
 * @see rte_eth_dev_owner_set, rte_eth_dev_owner_unset in DPDK lib/ethdev/rte_ethdev.c
 * (ownership of a whole port there; of a queue here, as a queue is one process's socket)
 */
import { processAlive, processStartTime, RteError } from '@rtemem/mbuf';
import type { PortCore } from './core.js';
import { QB_OWNER, QB_OWNER_START } from './layout.js';

const selfStart = processStartTime(process.pid);

/** The pid in queue block `b` (byte offset in the memzone): the process serving it, or 0. */
export function queueOwner(c: PortCore, b: number): number {
  return c.list.i32[(c.o + b + QB_OWNER) >> 2]!;
}

/** True when a live process other than this one serves queue block `b`. */
export function servedElsewhere(c: PortCore, b: number): boolean {
  const pid = queueOwner(c, b);
  return pid !== 0 && pid !== process.pid && processAlive(pid, c.list.f64[(c.o + b + QB_OWNER_START) >> 3]!);
}

/** Claims queue block `b` for this process (the caller holds the lock); EBUSY when another live process serves it. */
export function claimQueue(c: PortCore, b: number, what: string): void {
  if (servedElsewhere(c, b)) {
    throw new RteError('EBUSY', `${what} of port ${c.ifname} is served by process ${queueOwner(c, b)}: one process (one lcore) per queue; stop it there first`);
  }
  const at = c.o + b;
  c.list.i32[(at + QB_OWNER) >> 2] = process.pid;
  c.list.f64[(at + QB_OWNER_START) >> 3] = selfStart;
}

/** Lets go of queue block `b` if this process serves it (the caller holds the lock). */
export function unclaimQueue(c: PortCore, b: number): void {
  const at = c.o + b;
  if (c.list.i32[(at + QB_OWNER) >> 2] === process.pid) c.list.i32[(at + QB_OWNER) >> 2] = 0;
}
