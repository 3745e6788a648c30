/**
 * Who the peers of a multi-process channel are: the socket file names in
 * the runtime directory (the primary's `mp_socket`, a secondary's
 * `mp_socket_<pid>_<random>`), the peers a message goes to (the primary
 * from a secondary; every live secondary from the primary, found by
 * listing the directory as DPDK does), the sockets dead secondaries left,
 * and a connection to or from a peer.
 *
 * @see create_socket_path, mp_send, close_socket_fd in DPDK
 *   lib/eal/common/eal_common_proc.c
 */
import { readdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RteError } from './errors.js';
import { processAlive } from './process-info.js';
import { unlinkQuiet } from './runtime-dir.js';

export const PRIMARY_SOCKET = 'mp_socket';
const SECONDARY_PREFIX = 'mp_socket_';
/** sun_path holds 108 bytes with the NUL; Node truncates longer paths without a word. */
export const MAX_SOCKET_PATH = 107;

/** What a channel needs from its EAL handle. */
export interface MpHost {
  processType: 'primary' | 'secondary';
  runtimeDir: string;
  primaryPid(): number;
  primaryAlive(): boolean;
}

/** A connection to or from a peer, and the frames it carries. */
export interface Conn {
  socket: Socket;
  /** The peer's socket path. */
  peer: string;
  /** Requests of ours sent on it that wait for a reply, by id. */
  waiting: Set<number>;
}

/** This process's socket file name: the primary's, or a new secondary's. */
export function selfSocketName(processType: 'primary' | 'secondary'): string {
  return processType === 'primary' ? PRIMARY_SOCKET : `${SECONDARY_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** True for a sender name that can be a socket of our runtime dir. */
export function isPeerSocketName(name: string): boolean {
  return !name.includes('/') && (name === PRIMARY_SOCKET || name.startsWith(SECONDARY_PREFIX));
}

/** The pid in a secondary's socket name, or 0. */
function pidOfSocket(name: string): number {
  const m = /^mp_socket_(\d+)_/.exec(name);
  return m ? Number(m[1]) : 0;
}

/** Removes the sockets of secondaries that died without cleaning up (killed). */
export function removeDeadSockets(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = pidOfSocket(name);
    if (pid > 0 && !processAlive(pid)) unlinkQuiet(join(dir, name));
  }
}

/** The peers a message goes to: the primary (from a secondary), or every live secondary. */
export function peersOf(host: MpHost, dir: string, what: string): string[] {
  if (host.processType === 'secondary') {
    if (!host.primaryAlive()) {
      throw new RteError('ECONNREFUSED', `${what}: the primary process (pid ${host.primaryPid()}) is gone: nothing can receive the message`);
    }
    return [join(dir, PRIMARY_SOCKET)];
  }
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new RteError('ENOENT', `${what}: cannot list the runtime directory ${dir}: ${(e as Error).message}`);
  }
  for (const name of names.sort()) {
    if (!name.startsWith(SECONDARY_PREFIX)) continue;
    const pid = pidOfSocket(name);
    // A dead secondary's socket: DPDK unlinks it when a send is refused; its pid says so sooner.
    if (pid > 0 && !processAlive(pid)) {
      unlinkQuiet(join(dir, name));
      continue;
    }
    out.push(join(dir, name));
  }
  return out;
}

/** `peer` (a socket path) in words, for errors. */
export function describePeer(host: MpHost, peer: string): string {
  const name = basename(peer);
  if (name === PRIMARY_SOCKET) return `the primary (pid ${host.primaryPid()})`;
  const pid = pidOfSocket(name);
  return pid > 0 ? `secondary pid ${pid} (${name})` : peer;
}
