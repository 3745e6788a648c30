/**
 * Multi-process messages (DPDK's rte_mp_*): processes that share memory
 * also talk, over Unix domain sockets in the runtime directory. Each process
 * listens on a socket of its own: the primary on `mp_socket`, a secondary on
 * `mp_socket_<pid>_<random>`. A secondary talks to the primary; the primary
 * to every secondary (it finds them by listing the directory, as DPDK does).
 *
 * Requests are answered on the connection they came on, so a requester sees
 * a reply before it sees the end of a peer that replied and then exited,
 * and sees at once a peer that died without replying: a dead peer is an
 * error (or, for the primary's broadcast, a peer that is not counted),
 * never a wait for the timeout.
 *
 * Actions run on the main thread's event loop of the process that
 * registered them (DPDK has a thread for them, rte_mp_handle): a process
 * whose main thread spins in a loop answers nothing, so run such loops on a
 * worker lcore (`eal.launch`).
 *
 * Differences from DPDK 22.11, each so that no one waits for a timeout
 * that cannot end well: a peer with no action of the requested name answers
 * "ignore me" (DPDK does so only while that process starts up), and an
 * action that throws answers with its error, which fails the request.
 *
 * @see rte_mp_action_register, rte_mp_sendmsg, rte_mp_request_sync,
 *   rte_mp_request_async, rte_mp_reply in DPDK eal_common_proc.c
 */
import { readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RteError } from './errors.js';
import { encodeFrame, type Frame, FrameReader, MP_ERR, MP_IGN, MP_MAX_DATA_LEN, MP_MAX_NAME_LEN, MP_MSG, MP_REP, MP_REQ } from './mp-frame.js';
import { processAlive } from './process-info.js';

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

const PRIMARY_SOCKET = 'mp_socket';
const SECONDARY_PREFIX = 'mp_socket_';
/** sun_path holds 108 bytes with the NUL; Node truncates longer paths without a word. */
const MAX_SOCKET_PATH = 107;
const MAX_TIMEOUT_MS = 2147483647;

const encoder = new TextEncoder();

/** What a channel needs from its EAL handle. */
export interface MpHost {
  processType: 'primary' | 'secondary';
  runtimeDir: string;
  primaryPid(): number;
  primaryAlive(): boolean;
}

/** Why a worker thread's handle has no channel (only the handle Eal.init returned has one). */
export const MP_NOT_INIT_HANDLE = 'only the handle Eal.init returned (not a worker thread\'s Eal.attach handle) takes part in multi-process messages';

/**
 * The channel of the handle Eal.init returned, or why it has none: a
 * read-only handle takes no part, else MpChannel.open's reason.
 */
export function openMpChannel(host: MpHost, readOnly: boolean): MpChannel | string {
  if (readOnly) return 'a read-only handle takes no part in multi-process messages';
  const mp = MpChannel.open(host);
  return typeof mp === 'string' ? `multi-process messages are unavailable: ${mp}` : mp;
}

/** The channel, or ENOTSUP with the reason a handle has none (`mp` a string). */
export function mpChannelOr(mp: MpChannel | string): MpChannel {
  if (typeof mp === 'string') throw new RteError('ENOTSUP', mp);
  return mp;
}

/** A connection to or from a peer, and the frames it carries. */
interface Conn {
  socket: Socket;
  /** The peer's socket path. */
  peer: string;
  /** Requests of ours sent on it that wait for a reply, by id. */
  waiting: Set<number>;
}

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

/** A request of a peer that an action owes a reply to. */
interface Owed {
  reqId: number;
  conn: Conn;
}

function checkName(name: unknown, what: string): string {
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

function checkTimeout(timeoutMs: unknown, what: string): number {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new RteError('EINVAL', `${what}: timeoutMs must be a positive number of milliseconds (at most ${MAX_TIMEOUT_MS}), not ${String(timeoutMs)}`);
  }
  return timeoutMs;
}

/** The pid in a secondary's socket name, or 0. */
function pidOfSocket(name: string): number {
  const m = /^mp_socket_(\d+)_/.exec(name);
  return m ? Number(m[1]) : 0;
}

/**
 * One process's end of the multi-process channel, held by the EAL handle
 * that `Eal.init` returned. Opened by init for EALs with a runtime directory;
 * when it cannot be (no runtime dir, a path too long for a socket), every
 * call throws ENOTSUP with the reason.
 */
export class MpChannel {
  readonly #host: MpHost;
  readonly #dir: string;
  readonly #self: string;
  readonly #server: Server;
  readonly #actions = new Map<string, MpAction>();
  /** Our connections to peers' sockets, by peer path. */
  readonly #out = new Map<string, Conn>();
  /** Connections peers opened to us. */
  readonly #in = new Set<Conn>();
  readonly #requests = new Map<number, Request>();
  /** "peer\0name" of requests of ours still waiting: DPDK allows one at a time (EEXIST). */
  readonly #busy = new Set<string>();
  /** "peer\0name" -> requests of that peer our actions owe replies to, oldest first. */
  readonly #owed = new Map<string, Owed[]>();
  #nextReqId = 1;
  #closed = false;

  private constructor(host: MpHost, dir: string, self: string, server: Server) {
    this.#host = host;
    this.#dir = dir;
    this.#self = self;
    this.#server = server;
  }

  /** This process's socket path. */
  get socketPath(): string {
    return join(this.#dir, this.#self);
  }

  /**
   * Opens this process's socket in `host.runtimeDir`. Returns the channel,
   * or the reason it cannot be opened.
   *
   * @see rte_mp_channel_init
   */
  static open(host: MpHost): MpChannel | string {
    const dir = host.runtimeDir;
    if (dir === '') return 'this EAL has no runtime directory (sab backend or inMemory), so no other process can reach it';
    const self = host.processType === 'primary' ? PRIMARY_SOCKET : `${SECONDARY_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
    const path = join(dir, self);
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      return `its socket path ${path} is longer than the ${MAX_SOCKET_PATH} bytes a Unix socket allows: use a shorter RTEMEM_RUNTIME_DIR or filePrefix`;
    }
    if (host.processType === 'primary') {
      // Ours now (the primary holds the config lock): what is there is stale.
      MpChannel.#unlinkQuiet(path);
      MpChannel.#removeDeadSockets(dir);
    }
    const server = createServer({ allowHalfOpen: false });
    let channel: MpChannel | null = null;
    server.on('connection', (socket: Socket) => {
      if (channel !== null) channel.#accept(socket);
      else socket.destroy();
    });
    // Errors after listen (none are expected): the channel just stops taking connections.
    server.on('error', () => undefined);
    server.listen(path);
    // Node binds at once; a failure leaves it not listening (the error event comes later).
    if (!server.listening) {
      server.close();
      return `cannot listen on ${path}`;
    }
    // The channel never keeps the process alive by itself: a request waiting for replies does (its timer).
    server.unref();
    channel = new MpChannel(host, dir, self, server);
    return channel;
  }

  static #unlinkQuiet(path: string): void {
    try {
      unlinkSync(path);
    } catch {
      // Not there.
    }
  }

  // Sockets of secondaries that died without cleaning up (killed).
  static #removeDeadSockets(dir: string): void {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = pidOfSocket(name);
      if (pid > 0 && !processAlive(pid)) MpChannel.#unlinkQuiet(join(dir, name));
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new RteError('EINVAL', 'this EAL handle was cleaned up: its multi-process channel is closed');
  }

  /** @see rte_mp_action_register */
  actionRegister(name: string, fn: MpAction): void {
    this.#checkOpen();
    checkName(name, 'mpActionRegister');
    if (typeof fn !== 'function') throw new RteError('EINVAL', 'mpActionRegister: the action must be a function (msg, peer) => void | Promise<void>');
    if (this.#actions.has(name)) throw new RteError('EEXIST', `an action named ${JSON.stringify(name)} is already registered: unregister it first`);
    this.#actions.set(name, fn);
  }

  /** Removes the action; nothing happens when there is none of that name. @see rte_mp_action_unregister */
  actionUnregister(name: string): void {
    this.#checkOpen();
    checkName(name, 'mpActionUnregister');
    this.#actions.delete(name);
  }

  /**
   * Sends a message (no reply): from a secondary to the primary, from the
   * primary to every secondary. Throws ECONNREFUSED from a secondary whose
   * primary is gone. Delivery is asynchronous: a peer that dies meanwhile
   * just does not get it.
   *
   * @see rte_mp_sendmsg
   */
  sendmsg(msg: MpMessage): void {
    this.#checkOpen();
    const m = checkMessage(msg, 'mpSendmsg');
    const frame = encodeFrame(MP_MSG, m.name, this.#self, 0, m.data);
    for (const peer of this.#peers('mpSendmsg')) this.#connection(peer).socket.write(frame);
  }

  /** The peers a message goes to: the primary (from a secondary), or every live secondary. */
  #peers(what: string): string[] {
    if (this.#host.processType === 'secondary') {
      if (!this.#host.primaryAlive()) {
        throw new RteError('ECONNREFUSED', `${what}: the primary process (pid ${this.#host.primaryPid()}) is gone: nothing can receive the message`);
      }
      return [join(this.#dir, PRIMARY_SOCKET)];
    }
    const out: string[] = [];
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch (e) {
      throw new RteError('ENOENT', `${what}: cannot list the runtime directory ${this.#dir}: ${(e as Error).message}`);
    }
    for (const name of names.sort()) {
      if (!name.startsWith(SECONDARY_PREFIX)) continue;
      const pid = pidOfSocket(name);
      // A dead secondary's socket: DPDK unlinks it when a send is refused; its pid says so sooner.
      if (pid > 0 && !processAlive(pid)) {
        MpChannel.#unlinkQuiet(join(this.#dir, name));
        continue;
      }
      out.push(join(this.#dir, name));
    }
    return out;
  }

  /** Our connection to `peer`, made on first use. */
  #connection(peer: string): Conn {
    const have = this.#out.get(peer);
    if (have !== undefined && !have.socket.destroyed) return have;
    const socket = createConnection({ path: peer, allowHalfOpen: false });
    socket.unref();
    const conn: Conn = { socket, peer, waiting: new Set() };
    this.#out.set(peer, conn);
    let connected = false;
    socket.on('connect', () => {
      connected = true;
    });
    this.#read(conn);
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // Refused or gone before we connected: a dead peer, whose requests count as not sent.
      if (!connected) {
        if (this.#host.processType === 'primary' && (e.code === 'ECONNREFUSED' || e.code === 'ENOENT')) MpChannel.#unlinkQuiet(peer);
        this.#peerFailed(conn, 'unsent', `${e.code ?? 'error'} on connect: ${e.message}`);
      }
    });
    socket.on('close', () => {
      if (this.#out.get(peer) === conn) this.#out.delete(peer);
      this.#peerFailed(conn, 'dead', 'it closed the connection before replying (it exited, or cleaned up its EAL)');
    });
    return conn;
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    socket.unref();
    // The peer is known from its first frame.
    const conn: Conn = { socket, peer: '', waiting: new Set() };
    this.#in.add(conn);
    socket.on('error', () => undefined);
    socket.on('close', () => this.#in.delete(conn));
    this.#read(conn);
  }

  #read(conn: Conn): void {
    const reader = new FrameReader();
    conn.socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        process.emitWarning(`rtemem mp: dropped a connection from ${conn.peer || 'a peer'} that broke the protocol (${(e as Error).message})`, { code: 'RTEMEM_MP' });
        conn.socket.destroy();
        return;
      }
      for (const f of frames) this.#onFrame(conn, f);
    });
  }

  #onFrame(conn: Conn, f: Frame): void {
    if (this.#closed) return;
    if (f.type === MP_REP || f.type === MP_IGN || f.type === MP_ERR) {
      this.#onAnswer(conn, f);
      return;
    }
    // A message or request: the sender is one of the sockets of our runtime dir.
    if (f.sender.includes('/') || (f.sender !== PRIMARY_SOCKET && !f.sender.startsWith(SECONDARY_PREFIX))) {
      conn.socket.destroy();
      return;
    }
    const peer = join(this.#dir, f.sender);
    conn.peer ||= peer;
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
   * Replies to a request that `peer` sent (the `peer` its action got):
   * the oldest request of that name from that peer still without a reply.
   * Throws EINVAL when there is none (it was a message, not a request, or
   * it was answered already). A requester that has gone meanwhile is not an
   * error: nobody waits for the reply.
   *
   * @see rte_mp_reply
   */
  reply(msg: MpMessage, peer: string): void {
    this.#checkOpen();
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

  /**
   * Sends a request to the primary (from a secondary) or to every secondary
   * (from the primary) and collects the replies until every peer answered
   * or `timeoutMs` passed. `strict` (mpRequestSync): rejects unless every
   * peer that has the action replied (ETIMEDOUT, ECONNRESET for a peer that
   * died, EIO for an action that threw). Otherwise (mpRequestAsync): resolves
   * with whatever replies came. Rejects EEXIST while a request of the same
   * name to the same peer waits (DPDK allows one), ECONNREFUSED from a
   * secondary whose primary is gone.
   *
   * @see rte_mp_request_sync, rte_mp_request_async
   */
  request(msg: MpMessage, timeoutMs: number, strict: boolean): Promise<MpReply> {
    const what = strict ? 'mpRequestSync' : 'mpRequestAsync';
    try {
      this.#checkOpen();
      const m = checkMessage(msg, what);
      const timeout = checkTimeout(timeoutMs, what);
      const peers = this.#peers(what);
      const busy = peers.filter((p) => this.#busy.has(`${p}\0${m.name}`));
      if (busy.length > 0) {
        throw new RteError('EEXIST', `${what}: a request named ${JSON.stringify(m.name)} to ${busy.join(', ')} is still waiting for its reply: await it first (one at a time per name, as DPDK)`);
      }
      return this.#request(m.name, m.data, timeout, peers, strict, what);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #newReqId(): number {
    const id = this.#nextReqId;
    // 1 .. 2**32-2, never 0 (the id of messages).
    this.#nextReqId = (id % 0xfffffffe) + 1;
    return id;
  }

  #request(name: string, data: Uint8Array, timeoutMs: number, peers: string[], strict: boolean, what: string): Promise<MpReply> {
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
          this.#out.get(t.peer)?.waiting.delete(t.reqId);
          if (t.state === 'pending') t.state = 'timeout';
        }
        const replied = targets.filter((t) => t.state === 'replied');
        if (this.#host.processType === 'secondary' && targets[0]!.state === 'unsent') {
          reject(new RteError('ECONNREFUSED', `${what} ${JSON.stringify(name)}: the primary process is gone (${targets[0]!.error})`));
          return;
        }
        const bad = targets.filter((t) => t.state === 'error' || t.state === 'dead' || t.state === 'timeout');
        if (strict && bad.length > 0) {
          const t = bad[0]!;
          const peerText = this.#describePeer(t.peer);
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
        const conn = this.#connection(t.peer);
        conn.waiting.add(t.reqId);
        conn.socket.write(encodeFrame(MP_REQ, name, this.#self, t.reqId, data));
      }
      // No peers at all: done now (DPDK: nb_sent 0).
      finish();
    });
  }

  #describePeer(peer: string): string {
    const name = basename(peer);
    if (name === PRIMARY_SOCKET) return `the primary (pid ${this.#host.primaryPid()})`;
    const pid = pidOfSocket(name);
    return pid > 0 ? `secondary pid ${pid} (${name})` : peer;
  }

  #onAnswer(conn: Conn, f: Frame): void {
    const request = this.#requests.get(f.reqId);
    // A late answer to a request that timed out: nobody waits for it.
    if (request === undefined || request.name !== f.name) return;
    const t = request.targets.find((x) => x.reqId === f.reqId);
    if (t === undefined || t.state !== 'pending' || this.#out.get(t.peer) !== conn) return;
    conn.waiting.delete(f.reqId);
    if (f.type === MP_REP) {
      t.state = 'replied';
      t.reply = { name: f.name, data: f.data };
    } else if (f.type === MP_IGN) {
      t.state = 'ignored';
    } else {
      t.state = 'error';
      t.error = MpChannel.#remoteError(f.data);
    }
    request.finish();
  }

  // "CODE name: message" from an MP_ERR frame's JSON: the action's own errno code when it had one, else EIO.
  static #remoteError(data: Uint8Array): string {
    try {
      const e = JSON.parse(new TextDecoder().decode(data)) as { name?: string; message?: string; code?: unknown };
      const code = typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) ? e.code : 'EIO';
      return `${code} ${e.name ?? 'Error'}: ${e.message ?? ''}`;
    } catch {
      return 'EIO an error the peer could not describe';
    }
  }

  #peerFailed(conn: Conn, state: 'unsent' | 'dead', why: string): void {
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

  /**
   * Closes the socket and every connection; requests still waiting fail.
   * The primary also removes the sockets of secondaries that died; a
   * secondary whose primary is gone removes the runtime directory when it
   * was the last thing in it.
   *
   * @see rte_mp_channel_cleanup
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const request of new Set(this.#requests.values())) {
      for (const t of request.targets) {
        if (t.state !== 'pending') continue;
        t.state = 'dead';
        t.error = 'this EAL handle was cleaned up while the request waited';
      }
      request.finish();
    }
    this.#server.close();
    for (const c of this.#out.values()) c.socket.destroy();
    for (const c of this.#in) c.socket.destroy();
    this.#out.clear();
    this.#in.clear();
    this.#owed.clear();
    this.#actions.clear();
    MpChannel.#unlinkQuiet(this.socketPath);
    if (this.#host.processType === 'primary') {
      MpChannel.#removeDeadSockets(this.#dir);
    } else if (!this.#host.primaryAlive()) {
      try {
        rmdirSync(this.#dir);
        rmdirSync(dirname(this.#dir));
      } catch {
        // Not empty (a new primary, other secondaries): not ours to remove.
      }
    }
  }
}
