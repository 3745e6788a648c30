import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameError, FrameReader, MAX_FRAME_BODY, MP_ERR, MP_MAX_DATA_LEN, MP_MSG, MP_REP, MP_REQ } from '../src/mp-frame.js';

const frame = fc.record({
  type: fc.constantFrom(MP_MSG, MP_REQ, MP_REP, MP_ERR),
  name: fc.string({ minLength: 1, maxLength: 16 }).filter((s) => Buffer.byteLength(s) <= 64),
  sender: fc.constantFrom('mp_socket', 'mp_socket_123_abcdef01'),
  reqId: fc.integer({ min: 0, max: 0xffffffff }),
  data: fc.uint8Array({ maxLength: 300 }),
});

/** Cuts `buf` at the given points (sorted, deduplicated, inside the buffer). */
function cut(buf: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of at) {
    out.push(buf.subarray(from, p));
    from = p;
  }
  out.push(buf.subarray(from));
  return out;
}

describe('multi-process frames', () => {
  it('come out as they went in, however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, points) => {
        const stream = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.name, f.sender, f.reqId, f.data)));
        const reader = new FrameReader();
        const got = cut(stream, points).flatMap((chunk) => reader.push(chunk));
        expect(got).toEqual(frames.map((f) => ({ ...f, data: new Uint8Array(f.data) })));
      }),
      { numRuns: 300 },
    );
  });

  it('one byte at a time, a 64 KiB frame too', () => {
    const data = new Uint8Array(MP_MAX_DATA_LEN).map((_, i) => i * 31);
    const buf = encodeFrame(MP_REP, 'big', 'mp_socket', 7, data);
    const reader = new FrameReader();
    const got = [];
    for (let i = 0; i < buf.length; i++) got.push(...reader.push(buf.subarray(i, i + 1)));
    expect(got).toHaveLength(1);
    expect(got[0]!.data).toEqual(data);
    // The data is a copy: reusing the chunk does not change it.
    buf.fill(0);
    expect(got[0]!.data[1]).toBe(31);
  });

  it('refuse streams that break the format', () => {
    const good = encodeFrame(MP_MSG, 'name', 'mp_socket', 0, Uint8Array.of(1, 2, 3));
    const bad = (mutate: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      mutate(b);
      return b;
    };
    const cases: [string, Buffer][] = [
      ['too long', bad((b) => b.writeUInt32LE(MAX_FRAME_BODY + 1, 0))],
      ['shorter than a header', bad((b) => b.writeUInt32LE(3, 0))],
      ['unknown type', bad((b) => b.writeUInt8(9, 4))],
      ['empty name', bad((b) => b.writeUInt8(0, 5))],
      ['name over 64 bytes', bad((b) => b.writeUInt8(65, 5))],
      ['no sender', bad((b) => b.writeUInt16LE(0, 6))],
      ['lengths do not add up', bad((b) => b.writeUInt32LE(2, 12))],
      ['data over 64 KiB', bad((b) => b.writeUInt32LE(MP_MAX_DATA_LEN + 1, 12))],
      ['name not UTF-8', bad((b) => b.writeUInt8(0xff, 16))],
    ];
    for (const [what, buf] of cases) expect(() => new FrameReader().push(buf), what).toThrow(FrameError);
    expect(new FrameReader().push(good)).toHaveLength(1);
  });
});
