/**
 * Typed-array views over one shared buffer, made once per buffer per thread
 * and held by every handle, so hot paths index them directly and never make
 * a view per call.
 */
export class SharedViews {
  readonly sab: SharedArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  readonly b64: BigUint64Array;
  readonly dv: DataView;

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.u8 = new Uint8Array(sab);
    this.u16 = new Uint16Array(sab, 0, sab.byteLength >>> 1);
    this.i32 = new Int32Array(sab, 0, sab.byteLength >>> 2);
    this.u32 = new Uint32Array(sab, 0, sab.byteLength >>> 2);
    this.f64 = new Float64Array(sab, 0, Math.floor(sab.byteLength / 8));
    this.b64 = new BigUint64Array(sab, 0, Math.floor(sab.byteLength / 8));
    this.dv = new DataView(sab);
  }

  /** Reads a NUL-padded utf-8 string of at most `len` bytes at `off`. */
  readString(off: number, len: number): string {
    let end = off;
    while (end < off + len && this.u8[end] !== 0) end++;
    return Buffer.from(this.u8.buffer, this.u8.byteOffset + off, end - off).toString('utf8');
  }

  /** Writes `text` NUL-padded into `len` bytes at `off`; false when it does not fit. */
  writeString(off: number, len: number, text: string): boolean {
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length > len) return false;
    this.u8.fill(0, off, off + len);
    this.u8.set(bytes, off);
    return true;
  }
}

/** Byte length of `text` in utf-8. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
