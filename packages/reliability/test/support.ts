/**
 * Helpers of the reliability tests: peers that are always cleaned up,
 * seeded randomness, and reports written to the console and os.tmpdir().
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Peer } from '@rtemem/testkit';

export const MiB = 1024 * 1024;
export const NODE = new URL('./fixtures/node.mjs', import.meta.url);

/** Peers started by a test; `closeAll` ends them whatever happened (killing the ones that do not answer). */
export class Peers {
  readonly list: Peer[] = [];

  async child(file: URL = NODE, data?: unknown, env?: Record<string, string>): Promise<Peer> {
    const p = await Peer.child(file, data, env);
    this.list.push(p);
    return p;
  }

  async worker(file: URL, data: unknown): Promise<Peer> {
    const p = await Peer.worker(file, data);
    this.list.push(p);
    return p;
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      this.list.splice(0).map(async (p) => {
        if (p.child !== null && (p.child.exitCode !== null || p.child.signalCode !== null)) return;
        const closed = p.close().then(() => true);
        const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref());
        if (!(await Promise.race([closed, timeout]))) await p.kill('SIGKILL');
      }),
    );
  }
}

/** A seeded xorshift32 generator (the same sequence in every run with the same seed): the peers' own. */
// @ts-expect-error plain JS fixture shared with the peers
export { xorshift as rng } from './fixtures/workload.mjs';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Writes `report` as JSON under os.tmpdir() and returns the path. */
export function writeReport(name: string, report: unknown): string {
  const path = join(tmpdir(), `rtemem-${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

/** Polls `fn` every `everyMs` until it returns true or `ms` pass; returns its last answer. */
export async function eventually(fn: () => boolean, ms = 10_000, everyMs = 50): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (fn()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}
