// Bench worker: RX -> TX forwarding on queue `ctl.index` of two @rtemem/port
// ports (rxBurst into mbufs, txBurst of the same mbufs), as an l2fwd lcore.
import { Eal, Mbuf, Port } from '@rtemem/port';

export function setup(data, ctl) {
  const eal = Eal.attach(data.eal);
  eal.threadRegister();
  const rx = Port.lookup(eal, data.rxIf);
  const tx = Port.lookup(eal, data.txIf);
  const q = ctl.index;
  rx.rxQueueStart(q);
  tx.txQueueStart(q);
  return { eal, rx, tx, q, mb: Mbuf.of(eal), burst: new Float64Array(32) };
}

export function run(s, ctl) {
  const { rx, tx, q, burst, mb } = s;
  let moved = 0;
  while (ctl.running()) {
    for (let i = 0; i < 64; i++) {
      const n = rx.rxBurst(q, burst, 32);
      if (n === 0) continue;
      const sent = tx.txBurst(q, burst, n);
      if (sent < n) {
        // What the port did not take is dropped, as l2fwd does.
        burst.copyWithin(0, sent, n);
        mb.freeBulk(burst, n - sent);
      }
      moved += sent;
    }
  }
  return moved;
}

export function teardown(s) {
  s.rx.close();
  s.tx.close();
  s.eal.cleanup();
}
