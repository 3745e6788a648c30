// @ts-check
/**
 * Classic pcap files (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-03.html):
 * a 24-byte file header, then per packet a 16-byte record header
 * (seconds, micro- or nanoseconds, captured length, original length) and
 * the captured bytes. Either byte order; magic 0xa1b2c3d4 for microsecond
 * and 0xa1b23c4d for nanosecond timestamps. pcapng files are recognised and
 * refused with a hint how to convert them.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** A pcapng Section Header Block starts with this block type (same in both byte orders). */
export const PCAPNG_MAGIC = 0x0a0d0d0a;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_FILE_HEADER = 24;
export const PCAP_RECORD_HEADER = 16;
/** libpcap's MAXIMUM_SNAPLEN: a record claiming more is a corrupt file. */
export const PCAP_MAX_SNAPLEN = 262144;

/** A file that is not a pcap this reader can replay; the message says why. */
export class PcapError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'PcapError';
  }
}

/**
 * @typedef {object} Pcap
 * @property {boolean} littleEndian
 * @property {boolean} nanos           timestamps in nanoseconds (else microseconds)
 * @property {number} snaplen
 * @property {number} linktype
 * @property {number} count           packets
 * @property {Uint8Array} data        the whole file
 * @property {Uint32Array} offsets    where each packet's bytes start in `data`
 * @property {Uint32Array} lengths    captured bytes
 * @property {Uint32Array} origLengths bytes on the wire
 * @property {Uint32Array} tsSec
 * @property {Uint32Array} tsFrac     micro- or nanoseconds
 * @property {boolean} truncated      the file ends inside a record (that record is left out)
 * @property {(i: number) => Uint8Array} packet  a view of packet i's bytes
 */

/**
 * Parses a pcap file held in memory. Throws PcapError for pcapng, unknown
 * magic, a link type other than Ethernet, or a record with an impossible
 * length.
 *
 * @param {Uint8Array} data
 * @param {string} [name]  for messages
 * @returns {Pcap}
 */
export function parsePcap(data, name = 'the file') {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 4) throw new PcapError(`${name} is empty or too short to be a pcap file`);
  const magicBE = dv.getUint32(0, false);
  if (magicBE === PCAPNG_MAGIC) {
    throw new PcapError(`${name} is a pcapng file; pktpipe reads classic pcap: convert it with \`editcap -F pcap ${name} out.pcap\` (editcap comes with Wireshark/tshark)`);
  }
  let littleEndian;
  let nanos;
  if (magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS) {
    littleEndian = false;
    nanos = magicBE === PCAP_MAGIC_NS;
  } else {
    const magicLE = dv.getUint32(0, true);
    if (magicLE !== PCAP_MAGIC_US && magicLE !== PCAP_MAGIC_NS) {
      throw new PcapError(`${name} is not a pcap file (magic 0x${magicBE.toString(16).padStart(8, '0')}; expected a1b2c3d4 or a1b23c4d in either byte order)`);
    }
    littleEndian = true;
    nanos = magicLE === PCAP_MAGIC_NS;
  }
  if (data.length < PCAP_FILE_HEADER) throw new PcapError(`${name}: the pcap file header is cut short (${data.length} of 24 bytes)`);
  const snaplen = dv.getUint32(16, littleEndian);
  // The link type is the low 16 bits; the high bits may carry FCS information.
  const linktype = dv.getUint32(20, littleEndian) & 0xffff;
  if (linktype !== LINKTYPE_ETHERNET) {
    throw new PcapError(`${name} has link type ${linktype}; pktpipe replays Ethernet captures (link type 1) only`);
  }
  /** @type {number[]} */
  const offsets = [];
  /** @type {number[]} */
  const lengths = [];
  /** @type {number[]} */
  const origLengths = [];
  /** @type {number[]} */
  const tsSec = [];
  /** @type {number[]} */
  const tsFrac = [];
  let at = PCAP_FILE_HEADER;
  let truncated = false;
  while (at < data.length) {
    if (at + PCAP_RECORD_HEADER > data.length) {
      truncated = true;
      break;
    }
    const incl = dv.getUint32(at + 8, littleEndian);
    if (incl > PCAP_MAX_SNAPLEN) {
      throw new PcapError(`${name}: record ${offsets.length + 1} at byte ${at} claims ${incl} captured bytes (more than ${PCAP_MAX_SNAPLEN}): the file is corrupt`);
    }
    if (at + PCAP_RECORD_HEADER + incl > data.length) {
      truncated = true;
      break;
    }
    tsSec.push(dv.getUint32(at, littleEndian));
    tsFrac.push(dv.getUint32(at + 4, littleEndian));
    lengths.push(incl);
    origLengths.push(dv.getUint32(at + 12, littleEndian));
    offsets.push(at + PCAP_RECORD_HEADER);
    at += PCAP_RECORD_HEADER + incl;
  }
  const off32 = Uint32Array.from(offsets);
  const len32 = Uint32Array.from(lengths);
  return {
    littleEndian,
    nanos,
    snaplen,
    linktype,
    count: offsets.length,
    data,
    offsets: off32,
    lengths: len32,
    origLengths: Uint32Array.from(origLengths),
    tsSec: Uint32Array.from(tsSec),
    tsFrac: Uint32Array.from(tsFrac),
    truncated,
    packet: (i) => data.subarray(off32[i], off32[i] + len32[i]),
  };
}

/**
 * Reads and parses a pcap file (see parsePcap).
 * @param {string} path
 * @returns {Pcap}
 */
export function readPcap(path) {
  let data;
  try {
    data = readFileSync(path);
  } catch (e) {
    const err = /** @type {NodeJS.ErrnoException} */ (e);
    throw new PcapError(`cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  }
  // A plain Uint8Array view of the Buffer (same bytes, no copy).
  return parsePcap(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), path);
}

/**
 * @typedef {object} PcapWriterOptions
 * @property {boolean} [nanos]       nanosecond timestamps (magic a1b23c4d); default microseconds
 * @property {boolean} [bigEndian]   default little-endian
 * @property {number} [snaplen]      default 262144
 * @property {number} [bufferBytes] default 1 MiB
 */

/**
 * Writes a classic pcap file, buffering records and writing the buffer
 * when full. A packet may be written in one call (writePacket) or, for an
 * mbuf chain, as begin() then append() per segment.
 */
export class PcapWriter {
  /**
   * @param {string} path  created or truncated
   * @param {PcapWriterOptions} [opts]
   */
  constructor(path, opts = {}) {
    this.path = path;
    this.nanos = opts.nanos === true;
    this.littleEndian = opts.bigEndian !== true;
    this.snaplen = opts.snaplen ?? PCAP_MAX_SNAPLEN;
    this.buf = new Uint8Array(Math.max(opts.bufferBytes ?? 1 << 20, 4096));
    this.dv = new DataView(this.buf.buffer);
    this.pos = 0;
    this.fd = openSync(path, 'w');
    /** Packets written. */
    this.count = 0;
    /** Bytes of packet data written. */
    this.bytes = 0;
    const dv = this.dv;
    dv.setUint32(0, this.nanos ? PCAP_MAGIC_NS : PCAP_MAGIC_US, this.littleEndian);
    dv.setUint16(4, 2, this.littleEndian);
    dv.setUint16(6, 4, this.littleEndian);
    dv.setUint32(8, 0, this.littleEndian); // thiszone
    dv.setUint32(12, 0, this.littleEndian); // sigfigs
    dv.setUint32(16, this.snaplen, this.littleEndian);
    dv.setUint32(20, LINKTYPE_ETHERNET, this.littleEndian);
    this.pos = PCAP_FILE_HEADER;
  }

  /**
   * Starts a record of `capLen` bytes (then append() exactly that many).
   * `frac` is in the writer's unit (micro- or nanoseconds).
   * @param {number} sec
   * @param {number} frac
   * @param {number} capLen
   * @param {number} [origLen]
   */
  begin(sec, frac, capLen, origLen = capLen) {
    if (this.pos + PCAP_RECORD_HEADER > this.buf.length) this.flush();
    const dv = this.dv;
    const le = this.littleEndian;
    dv.setUint32(this.pos, sec, le);
    dv.setUint32(this.pos + 4, frac, le);
    dv.setUint32(this.pos + 8, capLen, le);
    dv.setUint32(this.pos + 12, origLen, le);
    this.pos += PCAP_RECORD_HEADER;
    this.count++;
    this.bytes += capLen;
  }

  /**
   * Appends `len` bytes from `u8[off]` to the current record.
   * @param {Uint8Array} u8
   * @param {number} off
   * @param {number} len
   */
  append(u8, off, len) {
    if (this.pos + len > this.buf.length) {
      this.flush();
      if (len > this.buf.length) {
        writeAll(this.fd, u8, off, len);
        return;
      }
    }
    if (len <= 64) {
      const b = this.buf;
      const p = this.pos;
      for (let i = 0; i < len; i++) b[p + i] = u8[off + i];
    } else {
      this.buf.set(u8.subarray(off, off + len), this.pos);
    }
    this.pos += len;
  }

  /**
   * Writes one packet of `len` contiguous bytes at `u8[off]`.
   * @param {number} sec
   * @param {number} frac
   * @param {Uint8Array} u8
   * @param {number} off
   * @param {number} len
   * @param {number} [origLen]
   */
  writePacket(sec, frac, u8, off, len, origLen = len) {
    this.begin(sec, frac, len, origLen);
    this.append(u8, off, len);
  }

  flush() {
    if (this.pos > 0) writeAll(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }

  close() {
    if (this.fd < 0) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/**
 * @param {number} fd
 * @param {Uint8Array} u8
 * @param {number} off
 * @param {number} len
 */
function writeAll(fd, u8, off, len) {
  while (len > 0) {
    const n = writeSync(fd, u8, off, len);
    off += n;
    len -= n;
  }
}

/**
 * Writes `packets` to a pcap file in one go (tests, tools).
 * @param {string} path
 * @param {{ data: Uint8Array, sec?: number, frac?: number, origLen?: number }[]} packets
 * @param {PcapWriterOptions} [opts]
 */
export function writePcapFile(path, packets, opts = {}) {
  const w = new PcapWriter(path, opts);
  try {
    for (const p of packets) w.writePacket(p.sec ?? 0, p.frac ?? 0, p.data, 0, p.data.length, p.origLen ?? p.data.length);
  } finally {
    w.close();
  }
}
