// Bench worker: runs the C forwarder (pktfwd fwd, recvmmsg/sendmmsg in
// plain C, one thread per queue) for the round and counts what it sent.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

function sent(file, queues) {
  const b = readFileSync(file);
  let n = 0;
  for (let q = 0; q < queues; q++) n += Number(b.readBigUInt64LE(q * 64));
  return n;
}

export async function setup(data) {
  writeFileSync(data.counter, Buffer.alloc(64 * 8));
  const child = spawn(data.bin, ['fwd', data.rxIf, data.txIf, String(data.queues), data.counter], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`pktfwd fwd exited with ${code}`)));
  });
  return { ...data, child, sleep: new Int32Array(new SharedArrayBuffer(4)) };
}

export function run(s, ctl) {
  const before = sent(s.counter, s.queues);
  while (ctl.running()) Atomics.wait(s.sleep, 0, 0, 1);
  return sent(s.counter, s.queues) - before;
}

export function teardown(s) {
  s.child.kill('SIGKILL');
  rmSync(s.counter, { force: true });
}
