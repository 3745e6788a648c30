// Bench worker: dequeues bulks of 32 from a named ring; counts what it got.
import { rtemem } from '../../lib/entry.mjs';

// Through import or require, as the runner asks (lib/entry.mjs).
const { Eal, Ring } = await rtemem('@rtemem/ring');
const { WasmRing } = await rtemem('@rtemem/ring-wasm');

export function setup(data) {
  const eal = Eal.attach(data.eal);
  eal.threadRegister();
  return { eal, ring: (data.impl === 'wasm' ? WasmRing : Ring).lookup(eal, data.ring), out: new Float64Array(32) };
}

export function run(s, ctl) {
  const { ring, out } = s;
  let n = 0;
  while (ctl.running()) {
    for (let i = 0; i < 64; i++) n += ring.dequeueBulk(out, 32);
  }
  // Leave the ring empty for the next round.
  while (ring.dequeueBurst(out, 32) > 0);
  return n;
}

export function teardown(s) {
  s.eal.cleanup();
}
