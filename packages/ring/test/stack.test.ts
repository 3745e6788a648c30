import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Eal, RteError, Stack, STACK_F_LF, STACK_LF_MAX } from '../src/index.js';
import { codeOf } from '@rtemem/testkit';

const MiB = 1024 * 1024;
let eal: Eal;
beforeEach(() => {
  eal = Eal.init({ backend: 'sab', memory: 32 * MiB });
});
afterEach(() => eal.cleanup());

describe('Stack creation', () => {
  it('rejects bad arguments', () => {
    expect(codeOf(() => Stack.create(eal, 's', 0))).toBe('EINVAL');
    expect(codeOf(() => Stack.create(eal, 's', 16, -1, 0x2))).toBe('EINVAL');
    expect(codeOf(() => Stack.create(eal, 's', STACK_LF_MAX + 1, -1, STACK_F_LF))).toBe('EINVAL');
    expect(codeOf(() => Stack.create(eal, 'x'.repeat(28), 16))).toBe('ENAMETOOLONG');
    Stack.create(eal, 's', 16);
    expect(codeOf(() => Stack.create(eal, 's', 16))).toBe('EEXIST');
  });
});

describe.each([
  ['lock-based', 0],
  ['lock-free', STACK_F_LF],
])('%s stack', (_name, flags) => {
  it('pushes and pops LIFO, all or nothing', () => {
    const s = Stack.create(eal, 'lifo', 8, -1, flags);
    expect([s.capacity, s.flags, s.name]).toEqual([8, flags, 'lifo']);
    expect(s.push([1, 2, 3])).toBe(3);
    expect(s.push([4, 5, 6, 7, 8, 9])).toBe(0); // 5 free
    expect(s.push([4, 5, 6, 7, 8])).toBe(5);
    expect(s.count()).toBe(8);
    expect(s.freeCount()).toBe(0);
    expect(s.push([9])).toBe(0);
    const out: number[] = [];
    expect(s.pop(out, 9)).toBe(0);
    expect(s.pop(out, 3)).toBe(3);
    expect(out).toEqual([8, 7, 6]);
    expect(s.pop(out, 5)).toBe(5);
    expect(out).toEqual([5, 4, 3, 2, 1]);
    expect(s.count()).toBe(0);
    expect(s.pop(out, 1)).toBe(0);
    expect(codeOf(() => s.push([1], 2))).toBe('EINVAL');
  });

  it('keeps objects across many cycles, large values exactly', () => {
    const s = Stack.create(eal, 'cycle', 100, -1, flags);
    const big = 2 ** 40 + 3;
    for (let round = 0; round < 200; round++) {
      const vals = Array.from({ length: 1 + (round % 50) }, (_, i) => big + round * 100 + i);
      expect(s.push(vals)).toBe(vals.length);
      const out = new Float64Array(vals.length);
      expect(s.pop(out, vals.length)).toBe(vals.length);
      expect(Array.from(out)).toEqual([...vals].reverse());
    }
    expect(s.count()).toBe(0);
  });

  it('is found by name and freed', () => {
    const s = Stack.create(eal, 'named', 4, -1, flags);
    s.push([42]);
    const t = Stack.lookup(eal, 'named')!;
    expect(t.count()).toBe(1);
    const out: number[] = [];
    t.pop(out, 1);
    expect(out).toEqual([42]);
    s.free();
    expect(Stack.lookup(eal, 'named')).toBeNull();
  });
});

describe.each([
  ['lock-based', 0],
  ['lock-free', STACK_F_LF],
])('%s stack under threads and a process', (_name, flags) => {
  it('3 workers (and a secondary process with the anonymous backend) pop and push back 100k times: every object stays exactly once', async () => {
    const { Peer, uniquePrefix } = await import('@rtemem/testkit');
    const { nativeAvailable } = await import('../src/index.js');
    const PEER = new URL('./fixtures/stack-peer.mjs', import.meta.url);
    const native = nativeAvailable();
    const prefix = uniquePrefix('stk');
    const e = native ? Eal.init({ backend: 'anonymous', filePrefix: prefix, memory: 8 * MiB }) : eal;
    const s = Stack.create(e, 'shared', 64, -1, flags);
    const ids = Array.from({ length: 40 }, (_, i) => 2 ** 33 + i * 7);
    expect(s.push(ids)).toBe(40);
    const peers = await Promise.all([0, 1, 2].map(() => Peer.worker(PEER, e.workerData())));
    if (native) peers.push(await Peer.child(PEER));
    try {
      await Promise.all(peers.map((p, i) => p.call('init', i < 3 ? { attach: true } : { processType: 'secondary', filePrefix: prefix })));
      const moved = await Promise.all(peers.map((p) => p.call<number>('churn', { name: 'shared', rounds: 100_000 })));
      for (const m of moved) expect(m).toBeGreaterThan(0);
      expect(s.count()).toBe(40);
      const out: number[] = [];
      expect(s.pop(out, 40)).toBe(40);
      expect(out.sort((a, b) => a - b)).toEqual(ids);
    } finally {
      await Promise.all(peers.map((p) => p.close()));
      if (native) e.cleanup();
    }
  });
});
