// Bench worker: dequeues bulks of 32 from a named ring; counts what it got.
import { Eal, Ring } from '@rtemem/ring';
import { WasmRing } from '@rtemem/ring-wasm';

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
