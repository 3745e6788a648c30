/**
 * The requests of this process that wait for replies: one target per peer,
 * each pending until the peer replies, says "ignore me", reports that its
 * action failed, or dies; then the request settles, or at its timeout.
 * mpRequestSync rejects unless every peer with the action replied;
 * mpRequestAsync resolves with the replies that came. DPDK allows one
 * request of a name to a peer at a time (EEXIST).
 *
 * @see mp_request_sync, mp_request_async, process_reply, rte_mp_request_sync,
 *   rte_mp_request_async in DPDK lib/eal/common/eal_common_proc.c
 */
import { RteError } from './errors.js';
import { encodeFrame, type Frame, MP_IGN, MP_REP, MP_REQ } from './mp-frame.js';
import type { MpMessage, MpReply } from './mp.js';
import type { Conn, MpHost } from './mp-peers.js';
import { describePeer } from './mp-peers.js';

/** One peer's part of a request. */
interface Target {
  peer: string;
  reqId: number;
  /** 'pending' until the peer answers or fails. */
  state: 'pending' | 'replied' | 'ignored' | 'unsent' | 'error' | 'dead' | 'timeout';
  reply: MpMessage | null;
  error: string;
}

interface Request {
  name: string;
  targets: Target[];
  /** Settles the request once no target is pending (or it timed out). */
  finish: () => void;
}

/** What the requests need from their channel. */
export interface RequestChannel {
  readonly host: MpHost;
  /** This process's socket file name (the sender of its frames). */
  readonly self: string;
  /** Our connection to `peer` now, if any. */
  connectionOf(peer: string): Conn | undefined;
  /** Our connection to `peer`, made on first use. */
  connect(peer: string): Conn;
}

/** The requests of one channel that wait for replies. */
export class MpRequests {
  readonly #ch: RequestChannel;
  readonly #requests = new Map<number, Request>();
  /** "peer\0name" of requests of ours still waiting: DPDK allows one at a time (EEXIST). */
  readonly #busy = new Set<string>();
  #nextReqId = 1;

  constructor(ch: RequestChannel) {
    this.#ch = ch;
  }

  /** Throws EEXIST when a request named `name` to one of `peers` still waits. */
  checkNotBusy(peers: string[], name: string, what: string): void {
    const busy = peers.filter((p) => this.#busy.has(`${p}\0${name}`));
    if (busy.length > 0) {
      throw new RteError('EEXIST', `${what}: a request named ${JSON.stringify(name)} to ${busy.join(', ')} is still waiting for its reply: await it first (one at a time per name, as DPDK)`);
    }
  }

  #newReqId(): number {
    const id = this.#nextReqId;
    // 1 .. 2**32-2, never 0 (the id of messages).
    this.#nextReqId = (id % 0xfffffffe) + 1;
    return id;
  }

  /**
   * Sends request `name` to `peers` and collects their answers until each
   * answered or `timeoutMs` passed; `strict` as mpRequestSync.
   */
  send(name: string, data: Uint8Array, timeoutMs: number, peers: string[], strict: boolean, what: string): Promise<MpReply> {
    return new Promise<MpReply>((resolve, reject) => {
      const targets: Target[] = peers.map((peer) => ({ peer, reqId: this.#newReqId(), state: 'pending', reply: null, error: '' }));
      let timedOut = false;
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (done || (!timedOut && targets.some((t) => t.state === 'pending'))) return;
        done = true;
        clearTimeout(timer);
        for (const t of targets) {
          this.#requests.delete(t.reqId);
          this.#busy.delete(`${t.peer}\0${name}`);
          this.#ch.connectionOf(t.peer)?.waiting.delete(t.reqId);
          if (t.state === 'pending') t.state = 'timeout';
        }
        const replied = targets.filter((t) => t.state === 'replied');
        if (this.#ch.host.processType === 'secondary' && targets[0]!.state === 'unsent') {
          reject(new RteError('ECONNREFUSED', `${what} ${JSON.stringify(name)}: the primary process is gone (${targets[0]!.error})`));
          return;
        }
        const bad = targets.filter((t) => t.state === 'error' || t.state === 'dead' || t.state === 'timeout');
        if (strict && bad.length > 0) {
          const t = bad[0]!;
          const peerText = describePeer(this.#ch.host, t.peer);
          const more = bad.length > 1 ? ` (and ${bad.length - 1} more peers failed)` : '';
          if (t.state === 'timeout') {
            reject(new RteError('ETIMEDOUT', `${what} ${JSON.stringify(name)}: no reply from ${peerText} within ${timeoutMs} ms${more}`));
          } else if (t.state === 'dead') {
            reject(new RteError('ECONNRESET', `${what} ${JSON.stringify(name)}: no reply from ${peerText}: ${t.error}${more}`));
          } else {
            const space = t.error.indexOf(' ');
            reject(new RteError(t.error.slice(0, space), `${what} ${JSON.stringify(name)}: the action in ${peerText} failed: ${t.error.slice(space + 1)}${more}`));
          }
          return;
        }
        resolve({
          nbSent: targets.filter((t) => t.state !== 'unsent' && t.state !== 'ignored').length,
          nbReceived: replied.length,
          msgs: replied.map((t) => t.reply!),
        });
      };
      const request: Request = { name, targets, finish };
      timer = setTimeout(() => {
        timedOut = true;
        finish();
      }, timeoutMs);
      for (const t of targets) {
        this.#requests.set(t.reqId, request);
        this.#busy.add(`${t.peer}\0${name}`);
        const conn = this.#ch.connect(t.peer);
        conn.waiting.add(t.reqId);
        conn.socket.write(encodeFrame(MP_REQ, name, this.#ch.self, t.reqId, data));
      }
      // No peers at all: done now (DPDK: nb_sent 0).
      finish();
    });
  }

  /** A reply, "ignore me" or an action's error that came on `conn`. */
  onAnswer(conn: Conn, f: Frame): void {
    const request = this.#requests.get(f.reqId);
    // A late answer to a request that timed out: nobody waits for it.
    if (request === undefined || request.name !== f.name) return;
    const t = request.targets.find((x) => x.reqId === f.reqId);
    if (t === undefined || t.state !== 'pending' || this.#ch.connectionOf(t.peer) !== conn) return;
    conn.waiting.delete(f.reqId);
    if (f.type === MP_REP) {
      t.state = 'replied';
      t.reply = { name: f.name, data: f.data };
    } else if (f.type === MP_IGN) {
      t.state = 'ignored';
    } else {
      t.state = 'error';
      t.error = remoteError(f.data);
    }
    request.finish();
  }

  /** The requests waiting on `conn` fail: its peer was never reached ('unsent') or is gone ('dead'). */
  peerFailed(conn: Conn, state: 'unsent' | 'dead', why: string): void {
    for (const reqId of conn.waiting) {
      const request = this.#requests.get(reqId);
      const t = request?.targets.find((x) => x.reqId === reqId);
      if (request === undefined || t === undefined || t.state !== 'pending') continue;
      t.state = state;
      t.error = why;
      request.finish();
    }
    conn.waiting.clear();
  }

  /** At close: every request still waiting fails. */
  failAll(): void {
    for (const request of new Set(this.#requests.values())) {
      for (const t of request.targets) {
        if (t.state !== 'pending') continue;
        t.state = 'dead';
        t.error = 'this EAL handle was cleaned up while the request waited';
      }
      request.finish();
    }
  }
}

// "CODE name: message" from an MP_ERR frame's JSON: the action's own errno code when it had one, else EIO.
function remoteError(data: Uint8Array): string {
  try {
    const e = JSON.parse(new TextDecoder().decode(data)) as { name?: string; message?: string; code?: unknown };
    const code = typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) ? e.code : 'EIO';
    return `${code} ${e.name ?? 'Error'}: ${e.message ?? ''}`;
  } catch {
    return 'EIO an error the peer could not describe';
  }
}
