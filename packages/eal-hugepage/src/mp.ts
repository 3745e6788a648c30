/**
 * What a multi-process message is (DPDK's rte_mp_*): the message, the
 * replies to a request, the action that handles them, their limits, and
 * the checks of what a user passes. The channel that carries them is
 * mp-channel.ts; who the peers are, mp-peers.ts; requests of this process
 * waiting for replies, mp-request.ts; the actions that answer peers,
 * mp-action.ts; the bytes on the wire, mp-frame.ts.
 *
 * @see struct rte_mp_msg, struct rte_mp_reply, rte_mp_t, check_input in DPDK
 *   lib/eal/common/eal_common_proc.c
 */
import { RteError } from './errors.js';
import { MP_MAX_DATA_LEN, MP_MAX_NAME_LEN } from './mp-frame.js';

export { MP_MAX_DATA_LEN, MP_MAX_NAME_LEN } from './mp-frame.js';

/**
 * A multi-process message: a name (the action that handles it, at most
 * MP_MAX_NAME_LEN bytes of UTF-8) and bytes of data (at most
 * MP_MAX_DATA_LEN). File descriptors cannot be passed.
 *
 * @see struct rte_mp_msg
 */
export interface MpMessage {
  name: string;
  data: Uint8Array;
  fds?: never;
}

/** The replies to a request. @see struct rte_mp_reply */
export interface MpReply {
  /** Peers that got the request and have an action for it. */
  nbSent: number;
  /** Replies received (in the order of the peers). */
  nbReceived: number;
  msgs: MpMessage[];
}

/** A handler of messages and requests of one name. `peer` identifies the sender for mpReply. @see rte_mp_t */
export type MpAction = (msg: MpMessage, peer: string) => void | Promise<void>;

const MAX_TIMEOUT_MS = 2147483647;

export const encoder = new TextEncoder();

/** Checks an action name given by a user (EINVAL, ENAMETOOLONG). */
export function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name === '') throw new RteError('EINVAL', `${what}: the name must be a non-empty string`);
  if (name.includes('\0')) throw new RteError('EINVAL', `${what}: the name ${JSON.stringify(name)} holds a NUL character`);
  const bytes = encoder.encode(name).length;
  if (bytes > MP_MAX_NAME_LEN) throw new RteError('ENAMETOOLONG', `${what}: the name is ${bytes} bytes of UTF-8, at most ${MP_MAX_NAME_LEN}: use a shorter name`);
  return name;
}

/** Checks a message given by a user (EINVAL, ENAMETOOLONG, E2BIG, ENOTSUP). @see check_input in eal_common_proc.c */
export function checkMessage(msg: unknown, what: string): { name: string; data: Uint8Array } {
  if (msg === null || typeof msg !== 'object') throw new RteError('EINVAL', `${what}: the message must be an object { name, data }`);
  const m = msg as { name?: unknown; data?: unknown; fds?: unknown };
  const name = checkName(m.name, what);
  if (m.fds !== undefined) throw new RteError('ENOTSUP', `${what}: file descriptors cannot be passed in rtemem messages; share memory (a memzone) instead`);
  const data = m.data ?? new Uint8Array(0);
  if (!(data instanceof Uint8Array)) throw new RteError('EINVAL', `${what}: data must be a Uint8Array (or a Buffer), not ${Object.prototype.toString.call(data).slice(8, -1)}`);
  if (data.length > MP_MAX_DATA_LEN) throw new RteError('E2BIG', `${what}: ${data.length} bytes of data, at most ${MP_MAX_DATA_LEN}: put bigger data in shared memory and send its name`);
  return { name, data };
}

/** Checks a request's timeout given by a user (EINVAL). */
export function checkTimeout(timeoutMs: unknown, what: string): number {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new RteError('EINVAL', `${what}: timeoutMs must be a positive number of milliseconds (at most ${MAX_TIMEOUT_MS}), not ${String(timeoutMs)}`);
  }
  return timeoutMs;
}
