// Bench worker: pushes bulks of 32 into a ringbuf.js ring.
import { RingBuffer } from 'ringbuf.js';

export function setup(data) {
  return { rb: new RingBuffer(data.sab, Float64Array), objs: new Float64Array(32).map((_, i) => i + 1) };
}

export function run(s, ctl) {
  const { rb, objs } = s;
  let n = 0;
  while (ctl.running()) {
    for (let i = 0; i < 64; i++) n += rb.push(objs, 32);
  }
  return n;
}
