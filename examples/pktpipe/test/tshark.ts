/**
 * tshark for the tests: where it is, and gating. With RTEMEM_REQUIRE_TSHARK=1
 * (CI) a missing tshark fails the tests; otherwise they skip, saying why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

export const tsharkRequired = process.env.RTEMEM_REQUIRE_TSHARK === '1';

function probe(): { usable: boolean; reason: string } {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    return { usable: false, reason: 'tshark not found (Debian: apt-get install tshark)' };
  }
  return { usable: true, reason: r.stdout.split('\n')[0] ?? 'tshark' };
}

export const tshark = probe();

/** A describe block that needs tshark: runs, fails (RTEMEM_REQUIRE_TSHARK=1), or skips with the reason. */
export function describeTshark(name: string, fn: () => void): void {
  if (tshark.usable) describe(name, fn);
  else if (tsharkRequired) {
    describe(name, () => {
      it('has tshark (RTEMEM_REQUIRE_TSHARK=1)', () => {
        throw new Error(`tshark required but unusable: ${tshark.reason}`);
      });
    });
  } else describe.skip(`${name} [skipped: ${tshark.reason}]`, fn);
}

/**
 * Fields of every packet of `file`, one array per packet (a field with
 * several occurrences is comma-joined, an absent one is '').
 */
export function tsharkFields(file: string, fields: string[], extra: string[] = []): string[][] {
  const out = execFileSync(
    'tshark',
    [
      '-n',
      '-r',
      file,
      '-o',
      'ip.check_checksum:TRUE',
      '-o',
      'ip.defragment:FALSE',
      '-o',
      'ipv6.defragment:FALSE',
      ...extra,
      '-T',
      'fields',
      '-E',
      'separator=/t',
      '-E',
      'occurrence=a',
      '-E',
      'aggregator=,',
      ...fields.flatMap((f) => ['-e', f]),
    ],
    { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines = out.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => {
    const cells = l.split('\t');
    while (cells.length < fields.length) cells.push('');
    return cells;
  });
}

/** An `it` that needs tshark: runs, fails (RTEMEM_REQUIRE_TSHARK=1), or skips with the reason. */
export function itTshark(name: string, fn: () => void | Promise<void>, timeout?: number): void {
  if (tshark.usable) it(name, fn, timeout);
  else if (tsharkRequired) {
    it(`${name} (RTEMEM_REQUIRE_TSHARK=1)`, () => {
      throw new Error(`tshark required but unusable: ${tshark.reason}`);
    });
  } else it.skip(`${name} [skipped: ${tshark.reason}]`, fn);
}
