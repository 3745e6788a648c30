/**
 * The actions of one process that answer its peers: the registry of
 * actions by name, running one for each message or request that comes
 * (a request of a name with no action is answered "ignore me"; an action
 * that throws answers with its error), and the requests of peers the
 * actions still owe a reply (mpReply answers the oldest of a name).
 *
 * @see rte_mp_action_register, rte_mp_action_unregister, process_msg,
 *   rte_mp_reply in DPDK lib/eal/common/eal_common_proc.c
 */
import { RteError } from './errors.js';
import { encodeFrame, type Frame, MP_ERR, MP_IGN, MP_MAX_DATA_LEN, MP_REP, MP_REQ } from './mp-frame.js';
import { type MpAction, type MpMessage, checkMessage, checkName, encoder } from './mp.js';
import type { Conn } from './mp-peers.js';

/** A request of a peer that an action owes a reply to. */
interface Owed {
  reqId: number;
  conn: Conn;
}

/** One channel's actions, and the replies they owe. */
export class MpActions {
  /** This process's socket file name (the sender of its frames). */
  readonly #self: string;
  readonly #actions = new Map<string, MpAction>();
  /** "peer\0name" -> requests of that peer our actions owe replies to, oldest first. */
  readonly #owed = new Map<string, Owed[]>();

  constructor(self: string) {
    this.#self = self;
  }

  /** @see rte_mp_action_register */
  register(name: string, fn: MpAction): void {
    checkName(name, 'mpActionRegister');
    if (typeof fn !== 'function') throw new RteError('EINVAL', 'mpActionRegister: the action must be a function (msg, peer) => void | Promise<void>');
    if (this.#actions.has(name)) throw new RteError('EEXIST', `an action named ${JSON.stringify(name)} is already registered: unregister it first`);
    this.#actions.set(name, fn);
  }

  /** Removes the action; nothing happens when there is none of that name. @see rte_mp_action_unregister */
  unregister(name: string): void {
    checkName(name, 'mpActionUnregister');
    this.#actions.delete(name);
  }

  /** Runs the action for message or request `f` that `peer` sent on `conn`. @see process_msg */
  run(conn: Conn, f: Frame, peer: string): void {
    const action = this.#actions.get(f.name);
    if (action === undefined) {
      if (f.type === MP_REQ) conn.socket.write(encodeFrame(MP_IGN, f.name, this.#self, f.reqId, new Uint8Array(0)));
      else process.emitWarning(`rtemem mp: no action for message ${JSON.stringify(f.name)} from ${peer}`, { code: 'RTEMEM_MP' });
      return;
    }
    if (f.type === MP_REQ) {
      const key = `${peer}\0${f.name}`;
      const list = this.#owed.get(key) ?? [];
      list.push({ reqId: f.reqId, conn });
      this.#owed.set(key, list);
    }
    const msg: MpMessage = { name: f.name, data: f.data };
    const failed = (e: unknown): void => {
      const err = e instanceof Error ? e : new Error(String(e));
      if (f.type === MP_REQ && this.#takeOwed(peer, f.name, f.reqId)) {
        const body = JSON.stringify({ name: err.name, message: err.message, code: (err as { code?: unknown }).code ?? null });
        const bytes = encoder.encode(body).subarray(0, MP_MAX_DATA_LEN);
        if (!conn.socket.destroyed) conn.socket.write(encodeFrame(MP_ERR, f.name, this.#self, f.reqId, bytes));
      } else {
        process.emitWarning(`rtemem mp: action ${JSON.stringify(f.name)} failed on a message from ${peer}: ${err.stack ?? err.message}`, { code: 'RTEMEM_MP' });
      }
    };
    try {
      const r = action(msg, peer);
      if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<void>).then === 'function') Promise.resolve(r).catch(failed);
    } catch (e) {
      failed(e);
    }
  }

  // Removes the owed reply to request `reqId` (or, with reqId -1, the oldest
  // of `peer` and `name`); returns it.
  #takeOwed(peer: string, name: string, reqId: number): Owed | null {
    const key = `${peer}\0${name}`;
    const list = this.#owed.get(key);
    if (list === undefined) return null;
    const i = reqId < 0 ? 0 : list.findIndex((o) => o.reqId === reqId);
    if (i < 0) return null;
    const [owed] = list.splice(i, 1);
    if (list.length === 0) this.#owed.delete(key);
    return owed ?? null;
  }

  /**
   * Replies to the oldest request of that name from `peer` still without a
   * reply. Throws EINVAL when there is none; a requester gone meanwhile is
   * not an error. @see rte_mp_reply
   */
  reply(msg: MpMessage, peer: string): void {
    const m = checkMessage(msg, 'mpReply');
    if (typeof peer !== 'string' || peer === '') throw new RteError('EINVAL', 'mpReply: peer must be the peer string the action was called with');
    const owed = this.#takeOwed(peer, m.name, -1);
    if (owed === null) {
      throw new RteError(
        'EINVAL',
        `mpReply: no request named ${JSON.stringify(m.name)} from ${peer} is waiting for a reply (a message is not answered; a request is answered once, under its own name)`,
      );
    }
    if (owed.conn.socket.destroyed) return;
    owed.conn.socket.write(encodeFrame(MP_REP, m.name, this.#self, owed.reqId, m.data));
  }

  /** At close: no action runs, no reply is owed. */
  clear(): void {
    this.#owed.clear();
    this.#actions.clear();
  }
}
