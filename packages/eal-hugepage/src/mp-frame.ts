/**
 * The wire format of multi-process messages: DPDK sends one datagram per
 * message over Unix domain sockets (struct mp_msg_internal); Node has no
 * Unix datagram sockets, so rtemem sends the same content as frames over
 * Unix stream sockets, one frame per message, each with its length first.
 *
 * ```
 * 0   u32  body bytes after this word
 * 4   u8   MP_* type
 * 5   u8   name bytes (1..MP_MAX_NAME_LEN)
 * 6   u16  sender bytes (the sender's socket file name in the runtime dir)
 * 8   u32  request id (REQ, and the REP / IGN / ERR answering it; 0 for MSG)
 * 12  u32  data bytes (0..MP_MAX_DATA_LEN)
 * 16  name, sender, data
 * ```
 *
 * Little-endian, as every rtemem layout. A frame that breaks these rules is
 * a protocol error: the connection it came on is closed.
 *
 * @see struct mp_msg_internal, send_msg, read_msg in DPDK eal_common_proc.c
 */

/** A message: sent by mpSendmsg, handled by an action, answered by nobody. @see MP_MSG */
export const MP_MSG = 0;
/** A request: the sender waits for a reply. @see MP_REQ */
export const MP_REQ = 1;
/** A reply to a request. @see MP_REP */
export const MP_REP = 2;
/** "Ignore me": the peer has no action of that name, so no reply will come. @see MP_IGN */
export const MP_IGN = 3;
/** The peer's action threw: the data is the error (JSON), so the requester need not wait for the timeout. */
export const MP_ERR = 4;

/** Bytes of an action name, at most. @see RTE_MP_MAX_NAME_LEN */
export const MP_MAX_NAME_LEN = 64;
/** Bytes of a message's data, at most (DPDK: 256; rtemem sends more, and no file descriptors). @see RTE_MP_MAX_PARAM_LEN */
export const MP_MAX_DATA_LEN = 65536;
/** Bytes of a sender's socket file name, at most. */
export const MP_MAX_SENDER_LEN = 255;

export const FRAME_HEADER_BYTES = 16;
const F_TYPE = 4;
const F_NAME_LEN = 5;
const F_SENDER_LEN = 6;
const F_REQ_ID = 8;
const F_DATA_LEN = 12;
/** The largest body a frame may announce. */
export const MAX_FRAME_BODY = FRAME_HEADER_BYTES - 4 + MP_MAX_NAME_LEN + MP_MAX_SENDER_LEN + MP_MAX_DATA_LEN;

/** One decoded frame. */
export interface Frame {
  type: number;
  name: string;
  sender: string;
  reqId: number;
  data: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes a frame. The caller checked the lengths (mp.ts validates what users pass). */
export function encodeFrame(type: number, name: string, sender: string, reqId: number, data: Uint8Array): Buffer {
  const nameBytes = encoder.encode(name);
  const senderBytes = encoder.encode(sender);
  const body = FRAME_HEADER_BYTES - 4 + nameBytes.length + senderBytes.length + data.length;
  const buf = Buffer.allocUnsafe(4 + body);
  buf.writeUInt32LE(body, 0);
  buf.writeUInt8(type, F_TYPE);
  buf.writeUInt8(nameBytes.length, F_NAME_LEN);
  buf.writeUInt16LE(senderBytes.length, F_SENDER_LEN);
  buf.writeUInt32LE(reqId >>> 0, F_REQ_ID);
  buf.writeUInt32LE(data.length, F_DATA_LEN);
  let off = FRAME_HEADER_BYTES;
  buf.set(nameBytes, off);
  off += nameBytes.length;
  buf.set(senderBytes, off);
  off += senderBytes.length;
  buf.set(data, off);
  return buf;
}

/** Thrown by FrameReader for a stream that does not follow the format. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/**
 * Cuts a byte stream into frames: push each chunk as it arrives, get the
 * frames it completes. Keeps at most one partial frame.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #have = 0;

  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#have += chunk.length;
    const out: Frame[] = [];
    for (;;) {
      if (this.#have < 4) break;
      const head = this.#peek(4);
      const body = head.readUInt32LE(0);
      if (body < FRAME_HEADER_BYTES - 4 || body > MAX_FRAME_BODY) throw new FrameError(`frame of ${body} bytes (at most ${MAX_FRAME_BODY})`);
      if (this.#have < 4 + body) break;
      out.push(decodeFrame(this.#take(4 + body)));
    }
    return out;
  }

  // The first n buffered bytes, joined only when they span chunks.
  #peek(n: number): Buffer {
    if (this.#chunks[0]!.length >= n) return this.#chunks[0]!;
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined;
  }

  #take(n: number): Buffer {
    const first = this.#peek(n);
    const frame = first.subarray(0, n);
    const rest = first.subarray(n);
    this.#chunks[0] = rest;
    if (rest.length === 0) this.#chunks.shift();
    this.#have -= n;
    return frame;
  }
}

function decodeFrame(buf: Buffer): Frame {
  const type = buf.readUInt8(F_TYPE);
  const nameLen = buf.readUInt8(F_NAME_LEN);
  const senderLen = buf.readUInt16LE(F_SENDER_LEN);
  const reqId = buf.readUInt32LE(F_REQ_ID);
  const dataLen = buf.readUInt32LE(F_DATA_LEN);
  if (type > MP_ERR) throw new FrameError(`unknown frame type ${type}`);
  if (nameLen === 0 || nameLen > MP_MAX_NAME_LEN) throw new FrameError(`name of ${nameLen} bytes`);
  if (senderLen === 0 || senderLen > MP_MAX_SENDER_LEN) throw new FrameError(`sender of ${senderLen} bytes`);
  if (dataLen > MP_MAX_DATA_LEN) throw new FrameError(`data of ${dataLen} bytes`);
  if (FRAME_HEADER_BYTES + nameLen + senderLen + dataLen !== buf.length) throw new FrameError('frame lengths do not add up');
  let off = FRAME_HEADER_BYTES;
  let name: string;
  let sender: string;
  try {
    name = decoder.decode(buf.subarray(off, off + nameLen));
    sender = decoder.decode(buf.subarray(off + nameLen, off + nameLen + senderLen));
  } catch {
    throw new FrameError('name or sender is not UTF-8');
  }
  off += nameLen + senderLen;
  // A copy: socket chunks may be slices of a pool that Node reuses.
  const data = new Uint8Array(dataLen);
  data.set(buf.subarray(off, off + dataLen));
  return { type, name, sender, reqId, data };
}
