/**
 * The shared lcore table: which thread of which process holds which lcore
 * id. Lcore ids select per-lcore state in the upper layers (mempool caches,
 * heap caches), so two live threads never hold the same id.
 *
 * @see rte_thread_register, eal_lcore_non_eal_allocate in DPDK
 */
import { threadId } from 'node:worker_threads';
import { MAX_LCORE } from './constants.js';
import type { ConfigRegion } from './config.js';
import { RteError } from './errors.js';
import {
  LC_LAUNCH,
  LC_PID,
  LC_ROLE,
  LC_SOCKET,
  LC_START,
  LC_STATE,
  LC_THREAD,
  LCORE_ENTRY_BYTES,
  LCORE_ROLE_WORKER,
  LCORE_STATE_FREE,
  LCORE_STATE_USED,
  LCORE_TABLE,
  LOCK_CONFIG,
} from './layout.js';
import { lockAcquire, lockRelease } from './lock.js';
import { native } from './native.js';
import { processAlive, selfStartTime } from './process-info.js';

/** One used entry of the lcore table. */
export interface LcoreInfo {
  lcoreId: number;
  pid: number;
  threadId: number;
  socketId: number;
  /** 'worker': an lcore reserved by `EalOptions.lcores`, which `eal.launch` runs work on. */
  role: 'main' | 'thread' | 'secondary' | 'worker';
  /** A worker lcore's launch state ('WAIT', 'RUNNING', 'FINISHED'); null for the other roles. @see rte_eal_get_lcore_state */
  state: 'WAIT' | 'RUNNING' | 'FINISHED' | null;
}

const ROLES = ['main', 'thread', 'secondary', 'worker'] as const;
const LAUNCH_STATES = ['WAIT', 'RUNNING', 'FINISHED'] as const;

function entry(id: number): number {
  return LCORE_TABLE + id * LCORE_ENTRY_BYTES;
}

/**
 * Claims lcore `id` (or the lowest free id from 1 when `id` is -1) for a
 * thread. The caller holds the config lock. Returns the id, or -1 when none
 * is free.
 */
export function lcoreClaim(
  cfg: ConfigRegion,
  id: number,
  role: number,
  pid: number,
  startTime: number,
  threadId: number,
  socketId: number,
): number {
  let chosen = id;
  if (chosen < 0) {
    for (let i = 1; i < MAX_LCORE; i++) {
      if (cfg.i32[(entry(i) + LC_STATE) >> 2] === LCORE_STATE_FREE) {
        chosen = i;
        break;
      }
    }
    if (chosen < 0) return -1;
  }
  const e = entry(chosen);
  cfg.i32[(e + LC_PID) >> 2] = pid;
  cfg.i32[(e + LC_THREAD) >> 2] = threadId;
  cfg.i32[(e + LC_SOCKET) >> 2] = socketId;
  cfg.f64[(e + LC_START) >> 3] = startTime;
  cfg.i32[(e + LC_ROLE) >> 2] = role;
  // A dead process's worker lcore may have been left RUNNING.
  Atomics.store(cfg.i32, (e + LC_LAUNCH) >> 2, 0);
  Atomics.store(cfg.i32, (e + LC_STATE) >> 2, LCORE_STATE_USED);
  return chosen;
}

/** Frees lcore `id`. The caller holds the config lock. */
export function lcoreRelease(cfg: ConfigRegion, id: number): void {
  const e = entry(id);
  Atomics.store(cfg.i32, (e + LC_STATE) >> 2, LCORE_STATE_FREE);
  cfg.i32[(e + LC_PID) >> 2] = 0;
  cfg.i32[(e + LC_THREAD) >> 2] = 0;
}

/**
 * Frees the lcores of processes that no longer exist (killed secondaries).
 * The caller holds the config lock. Returns the ids freed.
 */
export function lcoreReclaimDead(cfg: ConfigRegion): number[] {
  const freed: number[] = [];
  for (let i = 1; i < MAX_LCORE; i++) {
    const e = entry(i);
    if (cfg.i32[(e + LC_STATE) >> 2] !== LCORE_STATE_USED) continue;
    const pid = cfg.i32[(e + LC_PID) >> 2]!;
    if (!processAlive(pid, cfg.f64[(e + LC_START) >> 3]!)) {
      lcoreRelease(cfg, i);
      freed.push(i);
    }
  }
  return freed;
}

/** The socket recorded for lcore `id`. */
export function lcoreSocket(cfg: ConfigRegion, id: number): number {
  return cfg.i32[(entry(id) + LC_SOCKET) >> 2]!;
}

/** Every used lcore. */
export function lcoreList(cfg: ConfigRegion): LcoreInfo[] {
  const out: LcoreInfo[] = [];
  for (let i = 0; i < MAX_LCORE; i++) {
    const e = entry(i);
    if (Atomics.load(cfg.i32, (e + LC_STATE) >> 2) !== LCORE_STATE_USED) continue;
    const role = cfg.i32[(e + LC_ROLE) >> 2]!;
    out.push({
      lcoreId: i,
      pid: cfg.i32[(e + LC_PID) >> 2]!,
      threadId: cfg.i32[(e + LC_THREAD) >> 2]!,
      socketId: cfg.i32[(e + LC_SOCKET) >> 2]!,
      role: ROLES[role] ?? 'thread',
      state: role === LCORE_ROLE_WORKER ? (LAUNCH_STATES[Atomics.load(cfg.i32, (e + LC_LAUNCH) >> 2)] ?? null) : null,
    });
  }
  return out;
}

/** True when lcore `id` is in use as a worker lcore of process `pid`. */
export function lcoreIsWorkerOf(cfg: ConfigRegion, id: number, pid: number): boolean {
  const e = entry(id);
  return (
    Atomics.load(cfg.i32, (e + LC_STATE) >> 2) === LCORE_STATE_USED &&
    cfg.i32[(e + LC_ROLE) >> 2] === LCORE_ROLE_WORKER &&
    cfg.i32[(e + LC_PID) >> 2] === pid
  );
}

/** True when lcore `id` is free. */
export function lcoreIsFree(cfg: ConfigRegion, id: number): boolean {
  return Atomics.load(cfg.i32, (entry(id) + LC_STATE) >> 2) === LCORE_STATE_FREE;
}

/** The i32 index (into `cfg.i32`) of lcore `id`'s launch state word, for Atomics. */
export function lcoreLaunchWord(id: number): number {
  return (entry(id) + LC_LAUNCH) >> 2;
}

/** Records which thread now runs lcore `id` (a worker lcore's thread, once it started). */
export function lcoreSetThread(cfg: ConfigRegion, id: number, threadId: number): void {
  cfg.i32[(entry(id) + LC_THREAD) >> 2] = threadId;
}

/**
 * The NUMA socket the calling thread runs on, when it is one of `sockets`;
 * else the first of them. @see rte_socket_id
 */
export function currentSocket(sockets: readonly number[]): number {
  const n = native();
  const node = n !== null ? n.currentNode() : -1;
  return sockets.includes(node) ? node : sockets[0]!;
}

/**
 * Claims an lcore id for the calling thread, with `role` (LCORE_ROLE_*),
 * under the config lock; ids of dead processes are reclaimed first when the
 * table is full. `sockets` are the sockets with memory (the thread's socket
 * is recorded when it is one of them). Throws ENOSPC when all MAX_LCORE ids
 * are taken. @see eal_lcore_non_eal_allocate
 */
export function claimLcore(cfg: ConfigRegion, sockets: readonly number[], role: number): number {
  const socket = currentSocket(sockets.length > 0 ? sockets : [0]);
  // No lcore yet: the lock records the process as owner, lcore -1.
  lockAcquire(cfg.i32, LOCK_CONFIG, process.pid, -1);
  try {
    let id = lcoreClaim(cfg, -1, role, process.pid, selfStartTime, threadId, socket);
    if (id < 0 && lcoreReclaimDead(cfg).length > 0) {
      id = lcoreClaim(cfg, -1, role, process.pid, selfStartTime, threadId, socket);
    }
    if (id < 0) {
      throw new RteError('ENOSPC', `all ${MAX_LCORE} lcore ids are in use: call threadUnregister() in threads that no longer need one`);
    }
    return id;
  } finally {
    lockRelease(cfg.i32, LOCK_CONFIG);
  }
}
