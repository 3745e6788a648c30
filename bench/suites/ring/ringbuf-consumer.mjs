// Bench worker: pops bulks of 32 from a ringbuf.js ring; counts what it got.
import { RingBuffer } from 'ringbuf.js';

export function setup(data) {
  return { rb: new RingBuffer(data.sab, Float64Array), out: new Float64Array(32) };
}

export function run(s, ctl) {
  const { rb, out } = s;
  let n = 0;
  while (ctl.running()) {
    for (let i = 0; i < 64; i++) n += rb.pop(out, 32);
  }
  while (rb.pop(out, 32) > 0);
  return n;
}
