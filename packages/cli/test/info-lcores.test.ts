import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nativeTitle, Peer, skipWithoutNative, uniquePrefix } from '@rtemem/testkit';
import type { LcoreInfo } from '@rtemem/mempool';
import type { InfoReport } from '../src/index.js';
import { assertBuilt, rtemem, within } from './helpers.js';

beforeAll(assertBuilt);

const PRIMARY = new URL('./fixtures/info-launch.mjs', import.meta.url);

const peers: Peer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => within(p.close(), 15_000, 'primary exit').catch(() => p.kill())));
});

/** The lcore table's rows from `rtemem info` text, as cells. */
function lcoreRows(text: string): string[][] {
  const lines = text.split('\n');
  const head = lines.findIndex((l) => /^\s+lcore\s+role\s+pid\s+thread\s+socket\s+state\s*$/.test(l));
  expect(head, text).toBeGreaterThan(0);
  const rows: string[][] = [];
  // After the header and its rule.
  for (const l of lines.slice(head + 2)) {
    if (!/^\s+\d/.test(l)) break;
    rows.push(l.trim().split(/\s{2,}/));
  }
  return rows;
}

describe.skipIf(skipWithoutNative)(nativeTitle('rtemem info: worker lcores and their launch state'), () => {
  it('shows each worker lcore as WAIT, RUNNING or FINISHED, from another process, in text and JSON', async () => {
    const prefix = uniquePrefix('infolc');
    const peer = await Peer.child(PRIMARY);
    peers.push(peer);
    const { pid, lcores } = await peer.call<{ pid: number; lcores: LcoreInfo[] }>('init', { filePrefix: prefix });
    const tid = (id: number): string => String(lcores.find((c) => c.lcoreId === id)!.threadId);
    const r = rtemem(['info', '--file-prefix', prefix]);
    expect(r.status, r.stderr).toBe(0);
    expect(lcoreRows(r.stdout)).toEqual([
      ['0', 'main', String(pid), '0', '0', '-'],
      ['1', 'worker', String(pid), tid(1), '0', 'RUNNING'],
      ['2', 'worker', String(pid), tid(2), '0', 'FINISHED'],
      // Never launched: no thread yet.
      ['3', 'worker', String(pid), '0', '0', 'WAIT'],
    ]);
    const doc = JSON.parse(rtemem(['info', '--file-prefix', prefix, '--json']).stdout) as InfoReport;
    expect(doc.eal.lcores.map((c) => [c.lcoreId, c.role, c.state])).toEqual([
      [0, 'main', null],
      [1, 'worker', 'RUNNING'],
      [2, 'worker', 'FINISHED'],
      [3, 'worker', 'WAIT'],
    ]);
    expect(await peer.call('release')).toEqual(['released', 'done']);
    const after = JSON.parse(rtemem(['info', '--file-prefix', prefix, '--json']).stdout) as InfoReport;
    expect(after.eal.lcores.map((c) => c.state)).toEqual([null, 'WAIT', 'WAIT', 'WAIT']);
  });
});
