import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '../../testkit/src/index.js';
import { Eal, type EalOptions, MP_MAX_DATA_LEN, MP_MAX_NAME_LEN, type MpMessage } from '../src/index.js';

const PEER = new URL('./fixtures/mp-peer.mjs', import.meta.url);
const MiB = 1024 * 1024;

const eals: Eal[] = [];
const peers: Peer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  while (eals.length) eals.pop()!.cleanup();
});

function track(eal: Eal): Eal {
  eals.push(eal);
  return eal;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect((e as Error).name).toBe('RteError');
    return (e as { code: string }).code;
  }
  return undefined;
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | number[]): string => Buffer.from(b instanceof Uint8Array ? b : Uint8Array.from(b)).toString();

interface PeerReply {
  nbSent: number;
  nbReceived: number;
  msgs: { name: string; data: number[] }[];
  error?: { code: string; message: string };
}

describe('multi-process messages without a channel', () => {
  it('are ENOTSUP, saying why, for sab and inMemory EALs and for worker-thread handles', () => {
    const sab = track(Eal.init({ backend: 'sab', memory: 4 * MiB }));
    const msg = { name: 'x', data: new Uint8Array(0) };
    expect(codeOf(() => sab.mpActionRegister('x', () => undefined))).toBe('ENOTSUP');
    expect(() => sab.mpSendmsg(msg)).toThrow(/no runtime directory \(sab backend or inMemory\)/);
    expect(codeOf(() => sab.mpReply(msg, 'p'))).toBe('ENOTSUP');
    expect(codeOf(() => sab.mpActionUnregister('x'))).toBe('ENOTSUP');
    const worker = Eal.attach(sab.workerData());
    expect(() => worker.mpSendmsg(msg)).toThrow(/only the handle Eal.init returned/);
    worker.cleanup();
    return rejection(sab.mpRequestSync(msg, 100)).then((e) => expect(e.code).toBe('ENOTSUP'));
  });

  it.skipIf(skipWithoutNative)(nativeTitle('are ENOTSUP for an in-memory EAL and a read-only secondary'), async () => {
    const inMemory = track(Eal.init({ backend: 'anonymous', inMemory: true, memory: 4 * MiB }));
    expect(codeOf(() => inMemory.mpActionRegister('x', () => undefined))).toBe('ENOTSUP');
    const prefix = uniquePrefix('mpro');
    track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
    const ro = track(Eal.init({ processType: 'secondary', filePrefix: prefix, readOnly: true }));
    expect(() => ro.mpSendmsg({ name: 'x', data: new Uint8Array(0) })).toThrow(/read-only handle/);
    // A read-only handle adds no socket: only the primary's is there.
    expect(readdirSync(ro.runtimeDir).filter((n) => n.startsWith('mp_socket'))).toEqual(['mp_socket']);
  });
});

describe.skipIf(skipWithoutNative)(nativeTitle('multi-process messages (rte_mp_*)'), () => {
  let prefix = '';
  function primary(opts: EalOptions = {}): Eal {
    prefix = uniquePrefix('mp');
    return track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB, ...opts }));
  }
  async function secondary(): Promise<Peer> {
    const p = await Peer.child(PEER);
    peers.push(p);
    await p.call('init', { processType: 'secondary', filePrefix: prefix });
    return p;
  }
  async function kill(p: Peer): Promise<void> {
    await p.kill();
    peers.splice(peers.indexOf(p), 1);
  }

  it('refuses bad names and data: EINVAL, ENAMETOOLONG (over 64 bytes of UTF-8), E2BIG (over 64 KiB), ENOTSUP for fds', async () => {
    const eal = primary();
    const fn = (): void => undefined;
    for (const name of ['', 7, null, 'a\0b'] as unknown[]) expect(codeOf(() => eal.mpActionRegister(name as string, fn)), String(name)).toBe('EINVAL');
    expect(codeOf(() => eal.mpActionRegister('a'.repeat(MP_MAX_NAME_LEN + 1), fn))).toBe('ENAMETOOLONG');
    // 22 three-byte characters: 66 bytes, though only 22 characters.
    expect(codeOf(() => eal.mpActionRegister('€'.repeat(22), fn))).toBe('ENAMETOOLONG');
    eal.mpActionRegister('a'.repeat(MP_MAX_NAME_LEN), fn);
    eal.mpActionRegister('€'.repeat(21), fn);
    expect(codeOf(() => eal.mpActionRegister('x', 'not a function' as never))).toBe('EINVAL');
    eal.mpActionRegister('twice', fn);
    expect(codeOf(() => eal.mpActionRegister('twice', fn))).toBe('EEXIST');
    eal.mpActionUnregister('twice');
    eal.mpActionRegister('twice', fn);
    // Unregistering a name that has no action does nothing (as DPDK).
    eal.mpActionUnregister('never-registered');

    const cases: [unknown, string][] = [
      [null, 'EINVAL'],
      ['x', 'EINVAL'],
      [{ name: 'a'.repeat(65), data: new Uint8Array(0) }, 'ENAMETOOLONG'],
      [{ name: 'x', data: [1, 2] }, 'EINVAL'],
      [{ name: 'x', data: new Uint16Array(2) }, 'EINVAL'],
      [{ name: 'x', data: new Uint8Array(MP_MAX_DATA_LEN + 1) }, 'E2BIG'],
      [{ name: 'x', data: new Uint8Array(1), fds: [1] }, 'ENOTSUP'],
    ];
    for (const [msg, code] of cases) {
      expect(codeOf(() => eal.mpSendmsg(msg as MpMessage)), JSON.stringify(msg)?.slice(0, 60)).toBe(code);
      expect(codeOf(() => eal.mpReply(msg as MpMessage, 'peer'))).toBe(code);
      expect((await rejection(eal.mpRequestSync(msg as MpMessage, 100))).code).toBe(code);
      expect((await rejection(eal.mpRequestAsync(msg as MpMessage, 100))).code).toBe(code);
    }
    for (const t of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '5'] as unknown[]) {
      expect((await rejection(eal.mpRequestSync({ name: 'x', data: new Uint8Array(0) }, t as number))).code).toBe('EINVAL');
    }
    // Data is optional (DPDK: len_param 0); a Buffer is a Uint8Array.
    eal.mpSendmsg({ name: 'x' } as MpMessage);
    eal.mpSendmsg({ name: 'x', data: Buffer.from('ok') });
  });

  it('request and reply between the primary and every secondary, both ways, with async actions', async () => {
    const eal = primary();
    const [a, b] = [await secondary(), await secondary()];
    await a.call('register', { name: 'echo', mode: 'echo' });
    await b.call('register', { name: 'echo', mode: 'async-echo' });
    const r = await eal.mpRequestSync({ name: 'echo', data: bytes('hello') }, 10_000);
    expect(r.nbSent).toBe(2);
    expect(r.nbReceived).toBe(2);
    expect(r.msgs.map((m) => m.name)).toEqual(['echo', 'echo']);
    expect(r.msgs.map((m) => text(m.data)).sort()).toEqual([`${a.pid}:hello`, 'hello'].sort());

    // Secondary -> primary: only the primary gets it, and each secondary its own reply.
    eal.mpActionRegister('whoami', async (msg, peer) => {
      await new Promise((res) => setTimeout(res, 5));
      eal.mpReply({ name: 'whoami', data: bytes(`${peer.split('/').pop()}|${text(msg.data)}`) }, peer);
    });
    const [ra, rb] = await Promise.all([
      a.call<PeerReply>('request', { name: 'whoami', data: Array.from(bytes('A')), timeoutMs: 10_000 }),
      b.call<PeerReply>('request', { name: 'whoami', data: Array.from(bytes('B')), timeoutMs: 10_000 }),
    ]);
    expect(ra).toMatchObject({ nbSent: 1, nbReceived: 1 });
    expect(text(ra.msgs[0]!.data)).toMatch(new RegExp(`^mp_socket_${a.pid}_[0-9a-f]+\\|A$`));
    expect(text(rb.msgs[0]!.data)).toMatch(new RegExp(`^mp_socket_${b.pid}_[0-9a-f]+\\|B$`));
    // Async form, same answers.
    const asyncReply = await eal.mpRequestAsync({ name: 'echo', data: bytes('x') }, 10_000);
    expect(asyncReply).toMatchObject({ nbSent: 2, nbReceived: 2 });
  });

  it('messages reach every secondary from the primary, and the primary from a secondary, in order', async () => {
    const eal = primary();
    const [a, b] = [await secondary(), await secondary()];
    await a.call('register', { name: 'note', mode: 'record' });
    await b.call('register', { name: 'note', mode: 'record' });
    for (let i = 0; i < 50; i++) eal.mpSendmsg({ name: 'note', data: Uint8Array.of(i) });
    for (const p of [a, b]) {
      const got: { data: number[]; peer: string }[] = [];
      await until(async () => (got.push(...(await p.call<{ data: number[]; peer: string }[]>('received'))), got.length >= 50), '50 messages');
      expect(got.map((m) => m.data[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(got[0]!.peer).toBe(join(eal.runtimeDir, 'mp_socket'));
    }
    const seen: [number, string][] = [];
    eal.mpActionRegister('up', (msg, peer) => void seen.push([msg.data[0]!, peer]));
    for (let i = 0; i < 20; i++) expect(await a.call('send', { name: 'up', data: [i] })).toBeNull();
    await until(() => seen.length >= 20, '20 messages');
    expect(seen.map(([i]) => i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(seen.map(([, p]) => p)).size).toBe(1);
  });

  it('carries 64 KiB of data both ways, byte for byte', async () => {
    const eal = primary();
    const a = await secondary();
    await a.call('register', { name: 'big', mode: 'echo-bytes' });
    const data = new Uint8Array(MP_MAX_DATA_LEN);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    const r = await eal.mpRequestSync({ name: 'big', data }, 10_000);
    expect(r.msgs[0]!.data.length).toBe(MP_MAX_DATA_LEN);
    expect(Buffer.compare(r.msgs[0]!.data, data)).toBe(0);
    eal.mpActionRegister('big-up', (msg, peer) => eal.mpReply({ name: 'big-up', data: msg.data.slice().reverse() }, peer));
    const up = await a.call<PeerReply>('request', { name: 'big-up', data: Array.from(data), timeoutMs: 10_000 });
    expect(up.nbReceived).toBe(1);
    expect(Buffer.compare(Uint8Array.from(up.msgs[0]!.data), data.slice().reverse())).toBe(0);
  });

  it('times out on a peer that does not reply; a late reply is dropped and never answers the next request', async () => {
    const eal = primary();
    const a = await secondary();
    await a.call('register', { name: 'hold', mode: 'hold' });
    const t0 = Date.now();
    const e = await rejection(eal.mpRequestSync({ name: 'hold', data: bytes('1') }, 200));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(e.code).toBe('ETIMEDOUT');
    expect(e.message).toMatch(new RegExp(`no reply from secondary pid ${a.pid} .* within 200 ms`));
    expect(await a.call<unknown[]>('received')).toHaveLength(1);
    // The same name again: the late reply to the first comes, then the reply to this one.
    const second = eal.mpRequestAsync({ name: 'hold', data: bytes('2') }, 10_000);
    await until(async () => (await a.call<unknown[]>('received')).length > 0, 'the second request');
    expect(await a.call('replyHeld', Array.from(bytes('late')))).toBe(true);
    expect(await a.call('replyHeld', Array.from(bytes('fresh')))).toBe(true);
    const r = await second;
    expect(r).toMatchObject({ nbSent: 1, nbReceived: 1 });
    expect(text(r.msgs[0]!.data)).toBe('fresh');
    // Async form of a timeout: what came, no rejection.
    const none = await eal.mpRequestAsync({ name: 'hold', data: bytes('3') }, 100);
    expect(none).toEqual({ nbSent: 1, nbReceived: 0, msgs: [] });
  });

  it('a peer killed while it holds a request: ECONNRESET at once, not at the timeout (and never a hang)', async () => {
    const eal = primary();
    const [a, b] = [await secondary(), await secondary()];
    await a.call('register', { name: 'hold', mode: 'hold' });
    await b.call('register', { name: 'hold', mode: 'echo' });
    const t0 = Date.now();
    const pending = rejection(eal.mpRequestSync({ name: 'hold', data: bytes('x') }, 60_000));
    await until(async () => (await a.call<unknown[]>('received')).length > 0, 'the request to arrive');
    await kill(a);
    const e = await pending;
    expect(e.code).toBe('ECONNRESET');
    expect(e.message).toMatch(new RegExp(`secondary pid ${a.pid}.*closed the connection before replying`));
    expect(Date.now() - t0).toBeLessThan(30_000);
    // The dead secondary is no longer a peer: the next request counts only b.
    const r = await eal.mpRequestSync({ name: 'hold', data: bytes('y') }, 10_000);
    expect(r).toMatchObject({ nbSent: 1, nbReceived: 1 });
    expect(readdirSync(eal.runtimeDir).filter((n) => n.startsWith(`mp_socket_${a.pid}_`))).toEqual([]);
  });

  it('a peer whose action exits the process: ECONNRESET (sync), a missing reply (async)', async () => {
    const eal = primary();
    const a = await secondary();
    await a.call('register', { name: 'die', mode: 'exit' });
    const e = await rejection(eal.mpRequestSync({ name: 'die', data: bytes('x') }, 60_000));
    expect(e.code).toBe('ECONNRESET');
    peers.splice(peers.indexOf(a), 1);
    const b = await secondary();
    await b.call('register', { name: 'die', mode: 'exit' });
    const t0 = Date.now();
    expect(await eal.mpRequestAsync({ name: 'die', data: bytes('x') }, 60_000)).toEqual({ nbSent: 1, nbReceived: 0, msgs: [] });
    expect(Date.now() - t0).toBeLessThan(30_000);
    peers.splice(peers.indexOf(b), 1);
  });

  it('a secondary whose primary died: ECONNREFUSED for requests and messages', async () => {
    prefix = uniquePrefix('mpdead');
    const first = await Peer.child(PEER);
    peers.push(first);
    await first.call('init', { backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB });
    await first.call('register', { name: 'echo', mode: 'echo' });
    const sec = track(Eal.init({ processType: 'secondary', filePrefix: prefix }));
    expect((await sec.mpRequestSync({ name: 'echo', data: bytes('hi') }, 10_000)).nbReceived).toBe(1);
    await kill(first);
    expect((await rejection(sec.mpRequestSync({ name: 'echo', data: bytes('hi') }, 60_000))).code).toBe('ECONNREFUSED');
    expect((await rejection(sec.mpRequestAsync({ name: 'echo', data: bytes('hi') }, 60_000))).code).toBe('ECONNREFUSED');
    expect(() => sec.mpSendmsg({ name: 'echo', data: bytes('hi') })).toThrow(/primary process \(pid \d+\) is gone/);
    // Its cleanup removes its socket; the dead primary's files wait for the next primary.
    const dir = sec.runtimeDir;
    sec.cleanup();
    expect(readdirSync(dir).sort()).toEqual(['config', 'mp_socket']);
    // Which removes them (and leaves nothing once it cleans up).
    const next = track(Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 4 * MiB }));
    expect(readdirSync(dir).sort()).toEqual(['config', 'mp_socket']);
    next.cleanup();
    expect(existsSync(dir)).toBe(false);
  });

  it('a peer without the action answers "ignore me" at once; after unregister too', async () => {
    const eal = primary();
    const a = await secondary();
    await a.call('register', { name: 'echo', mode: 'echo' });
    const t0 = Date.now();
    expect(await eal.mpRequestSync({ name: 'unknown', data: bytes('?') }, 60_000)).toEqual({ nbSent: 0, nbReceived: 0, msgs: [] });
    expect((await eal.mpRequestSync({ name: 'echo', data: bytes('!') }, 60_000)).nbReceived).toBe(1);
    await a.call('unregister', 'echo');
    expect(await eal.mpRequestSync({ name: 'echo', data: bytes('!') }, 60_000)).toEqual({ nbSent: 0, nbReceived: 0, msgs: [] });
    expect(Date.now() - t0).toBeLessThan(30_000);
    // Without secondaries at all: nothing sent, at once.
    await kill(a);
    expect(await eal.mpRequestSync({ name: 'echo', data: bytes('!') }, 60_000)).toEqual({ nbSent: 0, nbReceived: 0, msgs: [] });
    // The primary unregistering: a secondary's request is ignored too.
    const b = await secondary();
    eal.mpActionRegister('p', (m, peer) => eal.mpReply({ name: 'p', data: m.data }, peer));
    expect((await b.call<PeerReply>('request', { name: 'p', data: [1], timeoutMs: 10_000 })).nbReceived).toBe(1);
    eal.mpActionUnregister('p');
    expect(await b.call<PeerReply>('request', { name: 'p', data: [1], timeoutMs: 60_000 })).toEqual({ nbSent: 0, nbReceived: 0, msgs: [] });
  });

  it('an action that throws fails the request at once with its error (sync); async counts no reply', async () => {
    const eal = primary();
    const a = await secondary();
    await a.call('register', { name: 'bad', mode: 'throw' });
    await a.call('register', { name: 'bad-async', mode: 'reject' });
    const e = await rejection(eal.mpRequestSync({ name: 'bad', data: bytes('because') }, 60_000));
    expect(e.code).toBe('EIO');
    expect(e.message).toMatch(new RegExp(`action in secondary pid ${a.pid} .*failed: Error: action bad refuses: because`));
    const e2 = await rejection(eal.mpRequestSync({ name: 'bad-async', data: bytes('') }, 60_000));
    expect(e2.code).toBe('ENOENT');
    expect(e2.message).toMatch(/no such thing/);
    expect(await eal.mpRequestAsync({ name: 'bad', data: bytes('') }, 60_000)).toEqual({ nbSent: 1, nbReceived: 0, msgs: [] });
    // A throwing action on a plain message is a process warning, not a crash.
    const warned = new Promise<Error>((res) => process.once('warning', res));
    eal.mpActionRegister('boom', () => {
      throw new Error('primary action fails');
    });
    expect(await a.call('send', { name: 'boom', data: [] })).toBeNull();
    expect((await warned).message).toMatch(/action "boom" failed on a message .*primary action fails/);
  });

  it('EEXIST while a request of that name to that peer waits (one at a time, as DPDK)', async () => {
    const eal = primary();
    const a = await secondary();
    await a.call('register', { name: 'hold', mode: 'hold' });
    await a.call('register', { name: 'echo', mode: 'echo' });
    const first = eal.mpRequestAsync({ name: 'hold', data: bytes('1') }, 300);
    expect((await rejection(eal.mpRequestSync({ name: 'hold', data: bytes('2') }, 300))).code).toBe('EEXIST');
    // Another name is fine meanwhile.
    expect((await eal.mpRequestSync({ name: 'echo', data: bytes('3') }, 10_000)).nbReceived).toBe(1);
    expect((await first).nbReceived).toBe(0);
    // Once it is over, the name is free again.
    expect((await eal.mpRequestAsync({ name: 'hold', data: bytes('4') }, 50)).nbSent).toBe(1);
  });

  it('mpReply: EINVAL without a waiting request; a requester that has gone is not an error', async () => {
    const eal = primary();
    const a = await secondary();
    const got: string[] = [];
    eal.mpActionRegister('ask', (_m, peer) => void got.push(peer));
    eal.mpActionRegister('tell', (_m, peer) => void got.push(peer));
    expect(await a.call('send', { name: 'tell', data: [] })).toBeNull();
    await until(() => got.length === 1, 'the message');
    // A message is not answered.
    expect(() => eal.mpReply({ name: 'tell', data: bytes('') }, got[0]!)).toThrow(/no request named "tell"/);
    expect(codeOf(() => eal.mpReply({ name: 'ask', data: bytes('') }, '/not/a/peer'))).toBe('EINVAL');
    expect(codeOf(() => eal.mpReply({ name: 'ask', data: bytes('') }, ''))).toBe('EINVAL');
    const asked = a.call<PeerReply>('request', { name: 'ask', data: [], timeoutMs: 60_000 });
    await until(() => got.length === 2, 'the request');
    eal.mpReply({ name: 'ask', data: bytes('once') }, got[1]!);
    expect(text((await asked).msgs[0]!.data)).toBe('once');
    // Answered once only.
    expect(codeOf(() => eal.mpReply({ name: 'ask', data: bytes('twice') }, got[1]!))).toBe('EINVAL');
    // The requester dies before the reply: the reply goes nowhere, quietly.
    a.call('request', { name: 'ask', data: [], timeoutMs: 60_000 }).catch(() => undefined);
    await until(() => got.length === 3, 'the second request');
    await kill(a);
    await new Promise((r) => setTimeout(r, 50));
    eal.mpReply({ name: 'ask', data: bytes('too late') }, got[2]!);
  });

  it('drops a connection that breaks the protocol and keeps serving the others', async () => {
    const eal = primary();
    const a = await secondary();
    eal.mpActionRegister('echo', (m, peer) => eal.mpReply({ name: 'echo', data: m.data }, peer));
    const warned = new Promise<Error>((res) => process.once('warning', res));
    const raw = createConnection({ path: join(eal.runtimeDir, 'mp_socket') });
    const closed = new Promise<void>((res) => raw.on('close', () => res()));
    raw.on('error', () => undefined);
    raw.write(Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]));
    await closed;
    expect((await warned).message).toMatch(/broke the protocol \(frame of 2147483647 bytes/);
    expect((await a.call<PeerReply>('request', { name: 'echo', data: [9], timeoutMs: 10_000 })).msgs[0]!.data).toEqual([9]);
  });

  it('cleanup removes every socket it made, and the primary those of dead secondaries: nothing is left', async () => {
    const eal = primary();
    const dir = eal.runtimeDir;
    const [a, b] = [await secondary(), await secondary()];
    expect(readdirSync(dir).filter((n) => n.startsWith('mp_socket')).sort()).toHaveLength(3);
    await b.call('cleanup');
    expect(readdirSync(dir).filter((n) => n.startsWith(`mp_socket_${b.pid}_`))).toEqual([]);
    await kill(a);
    // a's socket stays until someone notices it is dead: a broadcast, or the primary's cleanup.
    expect(readdirSync(dir).filter((n) => n.startsWith(`mp_socket_${a.pid}_`))).toHaveLength(1);
    await b.close();
    peers.splice(peers.indexOf(b), 1);
    eal.cleanup();
    expect(existsSync(dir)).toBe(false);
  });

  it('a socket path too long for a Unix socket: ENOTSUP that says so; the EAL works without messages', async () => {
    const base = join('/tmp', `rtemem-long-${process.pid}-${'d'.repeat(60)}`);
    mkdirSync(base, { recursive: true, mode: 0o700 });
    try {
      const p = await Peer.child(PEER, undefined, { RTEMEM_RUNTIME_DIR: base });
      peers.push(p);
      await p.call('init', { backend: 'anonymous', filePrefix: uniquePrefix('mplong').padEnd(40, 'x'), memory: 4 * MiB });
      const e = await rejection(p.call('register', { name: 'x', mode: 'echo' }));
      expect(e.code).toBe('ENOTSUP');
      expect(e.message).toMatch(/longer than the 107 bytes a Unix socket allows: use a shorter RTEMEM_RUNTIME_DIR or filePrefix/);
      await p.call('cleanup');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
