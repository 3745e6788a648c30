// Bench worker: enqueues bulks of 32 into a named ring as long as the round runs.
import { rtemem } from '../../lib/entry.mjs';

// Through import or require, as the runner asks (lib/entry.mjs).
const { Eal, Ring } = await rtemem('@rtemem/ring');
const { WasmRing } = await rtemem('@rtemem/ring-wasm');

export function setup(data) {
  const eal = Eal.attach(data.eal);
  eal.threadRegister();
  return { eal, ring: (data.impl === 'wasm' ? WasmRing : Ring).lookup(eal, data.ring), objs: new Float64Array(32).map((_, i) => i + 1) };
}

export function run(s, ctl) {
  const { ring, objs } = s;
  let n = 0;
  while (ctl.running()) {
    for (let i = 0; i < 64; i++) n += ring.enqueueBulk(objs, 32);
  }
  return n;
}

export function teardown(s) {
  s.eal.cleanup();
}
