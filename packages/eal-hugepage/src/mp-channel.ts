/**
 * The multi-process channel (DPDK's rte_mp_*): processes that share memory
 * also talk, over Unix domain sockets in the runtime directory. Each process
 * listens on a socket of its own (mp-peers.ts names them). A secondary talks
 * to the primary; the primary to every secondary. This file holds the
 * socket server, the connections, the reading of frames and their dispatch
 * to the requests waiting for answers (mp-request.ts) or to the actions
 * (mp-action.ts), and the close.
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
 * @see rte_mp_channel_init, mp_handle, rte_mp_sendmsg, rte_mp_channel_cleanup
 *   in DPDK lib/eal/common/eal_common_proc.c
 */
import { rmdirSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { RteError } from './errors.js';
import { encodeFrame, type Frame, FrameReader, MP_ERR, MP_IGN, MP_MSG, MP_REP } from './mp-frame.js';
import { checkMessage, checkTimeout, type MpAction, type MpMessage, type MpReply } from './mp.js';
import { MpActions } from './mp-action.js';
import { type Conn, isPeerSocketName, MAX_SOCKET_PATH, type MpHost, peersOf, removeDeadSockets, selfSocketName } from './mp-peers.js';
import { MpRequests } from './mp-request.js';
import { unlinkQuiet } from './runtime-dir.js';

export type { MpHost } from './mp-peers.js';

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
  readonly #actions: MpActions;
  readonly #requests: MpRequests;
  /** Our connections to peers' sockets, by peer path. */
  readonly #out = new Map<string, Conn>();
  /** Connections peers opened to us. */
  readonly #in = new Set<Conn>();
  #closed = false;

  private constructor(host: MpHost, dir: string, self: string, server: Server) {
    this.#host = host;
    this.#dir = dir;
    this.#self = self;
    this.#server = server;
    this.#actions = new MpActions(self);
    this.#requests = new MpRequests({ host, self, connectionOf: (peer) => this.#out.get(peer), connect: (peer) => this.#connection(peer) });
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
    const self = selfSocketName(host.processType);
    const path = join(dir, self);
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      return `its socket path ${path} is longer than the ${MAX_SOCKET_PATH} bytes a Unix socket allows: use a shorter RTEMEM_RUNTIME_DIR or filePrefix`;
    }
    if (host.processType === 'primary') {
      // Ours now (the primary holds the config lock): what is there is stale.
      unlinkQuiet(path);
      removeDeadSockets(dir);
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

  #checkOpen(): void {
    if (this.#closed) throw new RteError('EINVAL', 'this EAL handle was cleaned up: its multi-process channel is closed');
  }

  /** @see rte_mp_action_register */
  actionRegister(name: string, fn: MpAction): void {
    this.#checkOpen();
    this.#actions.register(name, fn);
  }

  /** Removes the action; nothing happens when there is none of that name. @see rte_mp_action_unregister */
  actionUnregister(name: string): void {
    this.#checkOpen();
    this.#actions.unregister(name);
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
    for (const peer of peersOf(this.#host, this.#dir, 'mpSendmsg')) this.#connection(peer).socket.write(frame);
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
        if (this.#host.processType === 'primary' && (e.code === 'ECONNREFUSED' || e.code === 'ENOENT')) unlinkQuiet(peer);
        this.#requests.peerFailed(conn, 'unsent', `${e.code ?? 'error'} on connect: ${e.message}`);
      }
    });
    socket.on('close', () => {
      if (this.#out.get(peer) === conn) this.#out.delete(peer);
      this.#requests.peerFailed(conn, 'dead', 'it closed the connection before replying (it exited, or cleaned up its EAL)');
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
      this.#requests.onAnswer(conn, f);
      return;
    }
    // A message or request: the sender is one of the sockets of our runtime dir.
    if (!isPeerSocketName(f.sender)) {
      conn.socket.destroy();
      return;
    }
    const peer = join(this.#dir, f.sender);
    conn.peer ||= peer;
    this.#actions.run(conn, f, peer);
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
    this.#actions.reply(msg, peer);
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
      const peers = peersOf(this.#host, this.#dir, what);
      this.#requests.checkNotBusy(peers, m.name, what);
      return this.#requests.send(m.name, m.data, timeout, peers, strict, what);
    } catch (e) {
      return Promise.reject(e);
    }
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
    this.#requests.failAll();
    this.#server.close();
    for (const c of this.#out.values()) c.socket.destroy();
    for (const c of this.#in) c.socket.destroy();
    this.#out.clear();
    this.#in.clear();
    this.#actions.clear();
    unlinkQuiet(this.socketPath);
    if (this.#host.processType === 'primary') {
      removeDeadSockets(this.#dir);
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
