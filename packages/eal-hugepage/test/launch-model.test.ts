/**
 * The lcore launch state machine against a model (fast-check): launch,
 * release (the function returns or throws), waitLcore, lcoreState,
 * mpRemoteLaunch and mpWaitLcore in any order, on real worker threads.
 *
 *   WAIT --launch--> RUNNING --function returns/throws--> FINISHED --waitLcore--> WAIT
 *   FINISHED --launch--> RUNNING;  RUNNING --launch--> EBUSY (no change)
 *   waitLcore reports the last run's outcome (0 before any), again and again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Eal, LCORE_STATE_FINISHED, LCORE_STATE_RUNNING, LCORE_STATE_WAIT } from '../src/index.js';

const WORK = new URL('./fixtures/lcore-work.mjs', import.meta.url);
const LCORES = [1, 2];

type Outcome = { ok: boolean; value: unknown };
interface Lcore {
  state: number;
  last: Outcome;
  /** What the running function does when released, and the generation that releases it. */
  next: Outcome | null;
  gen: number;
}
interface Model {
  lcores: Map<number, Lcore>;
  /** Launches so far: each run's generation, so that releases only ever raise a word. */
  gen: number;
}
interface Real {
  eal: Eal;
  sab: SharedArrayBuffer;
  i32: Int32Array;
}

async function outcomeOf(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await p };
  } catch (e) {
    return { ok: false, value: (e as Error).message };
  }
}

async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('the lcore did not finish');
    await new Promise((r) => setTimeout(r, 1));
  }
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

const running = (m: Readonly<Model>): boolean => [...m.lcores.values()].some((l) => l.state === LCORE_STATE_RUNNING);

class Launch implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly lcore: number,
    readonly value: string,
    readonly fail: boolean,
  ) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const l = m.lcores.get(this.lcore)!;
    const arg = { sab: r.sab, gen: m.gen + 1, value: this.value, fail: this.fail };
    if (l.state === LCORE_STATE_RUNNING) {
      expect(codeOf(() => r.eal.launch(this.lcore, WORK, 'gated', arg))).toBe('EBUSY');
      return;
    }
    r.eal.launch(this.lcore, WORK, 'gated', arg);
    m.gen++;
    Object.assign(l, { state: LCORE_STATE_RUNNING, gen: m.gen, next: { ok: !this.fail, value: this.value } });
  }
  toString = (): string => `launch(${this.lcore}, ${this.fail ? 'throw' : 'return'} ${this.value})`;
}

class Release implements fc.AsyncCommand<Model, Real> {
  constructor(readonly lcore: number) {}
  check = (m: Readonly<Model>): boolean => m.lcores.get(this.lcore)!.state === LCORE_STATE_RUNNING;
  async run(m: Model, r: Real): Promise<void> {
    const l = m.lcores.get(this.lcore)!;
    Atomics.store(r.i32, this.lcore, l.gen);
    Atomics.notify(r.i32, this.lcore);
    await until(() => r.eal.lcoreState(this.lcore) === LCORE_STATE_FINISHED);
    Object.assign(l, { state: LCORE_STATE_FINISHED, last: l.next, next: null });
  }
  toString = (): string => `release(${this.lcore})`;
}

class Wait implements fc.AsyncCommand<Model, Real> {
  constructor(readonly lcore: number) {}
  check = (m: Readonly<Model>): boolean => m.lcores.get(this.lcore)!.state !== LCORE_STATE_RUNNING;
  async run(m: Model, r: Real): Promise<void> {
    const l = m.lcores.get(this.lcore)!;
    expect(await outcomeOf(r.eal.waitLcore(this.lcore))).toEqual(l.last);
    l.state = LCORE_STATE_WAIT;
  }
  toString = (): string => `waitLcore(${this.lcore})`;
}

class State implements fc.AsyncCommand<Model, Real> {
  constructor(readonly lcore: number) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const want = m.lcores.get(this.lcore)!.state;
    expect(r.eal.lcoreState(this.lcore)).toBe(want);
    // The shared table (what `rtemem info` shows) says the same.
    expect(r.eal.lcores().find((c) => c.lcoreId === this.lcore)!.state).toBe(['WAIT', 'RUNNING', 'FINISHED'][want]);
  }
  toString = (): string => `lcoreState(${this.lcore})`;
}

class MpLaunch implements fc.AsyncCommand<Model, Real> {
  constructor(readonly value: string) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const arg = { sab: r.sab, gen: m.gen + 1, value: this.value, fail: false };
    if (running(m)) {
      expect(codeOf(() => r.eal.mpRemoteLaunch(WORK, 'gated', arg))).toBe('EBUSY');
      return;
    }
    r.eal.mpRemoteLaunch(WORK, 'gated', arg);
    m.gen++;
    for (const l of m.lcores.values()) Object.assign(l, { state: LCORE_STATE_RUNNING, gen: m.gen, next: { ok: true, value: this.value } });
  }
  toString = (): string => `mpRemoteLaunch(${this.value})`;
}

class MpWait implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>): boolean => !running(m);
  async run(m: Model, r: Real): Promise<void> {
    const all = [...m.lcores.values()];
    const failed = all.filter((l) => !l.last.ok);
    const got = await outcomeOf(r.eal.mpWaitLcore());
    if (failed.length === 0) expect(got).toEqual({ ok: true, value: all.map((l) => l.last.value) });
    else if (failed.length === 1) expect(got).toEqual({ ok: false, value: failed[0]!.last.value });
    else expect(got.ok).toBe(false);
    for (const l of all) l.state = LCORE_STATE_WAIT;
  }
  toString = (): string => 'mpWaitLcore()';
}

const lcore = fc.constantFrom(...LCORES);
const value = fc.string({ minLength: 1, maxLength: 6 });
const commands = fc.commands(
  [
    fc.tuple(lcore, value, fc.boolean()).map(([id, v, fail]) => new Launch(id, v, fail)),
    lcore.map((id) => new Release(id)),
    lcore.map((id) => new Release(id)),
    lcore.map((id) => new Wait(id)),
    lcore.map((id) => new State(id)),
    value.map((v) => new MpLaunch(v)),
    fc.constant(new MpWait()),
  ],
  { maxCommands: 30 },
);

describe('lcore launch states (model)', () => {
  it('launch / release / waitLcore / lcoreState / mpRemoteLaunch / mpWaitLcore agree with the model', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const eal = Eal.init({ backend: 'sab', memory: 4 << 20, lcores: LCORES });
        const sab = new SharedArrayBuffer(64);
        const real: Real = { eal, sab, i32: new Int32Array(sab) };
        try {
          const model: Model = { gen: 0, lcores: new Map(LCORES.map((id) => [id, { state: LCORE_STATE_WAIT, last: { ok: true, value: 0 }, next: null, gen: 0 }])) };
          await fc.asyncModelRun(() => ({ model, real }), cmds);
        } finally {
          // Running functions would block their threads until cleanup terminates them: release them first.
          for (const id of LCORES) {
            Atomics.store(real.i32, id, 0x7fffffff);
            Atomics.notify(real.i32, id);
          }
          eal.cleanup();
        }
      }),
      { numRuns: 25 },
    );
  });
});
