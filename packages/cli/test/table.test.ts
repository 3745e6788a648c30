import { describe, expect, it } from 'vitest';
import { hex } from '@rtemem/mempool';
import { formatBytes, pageSizeOption, percent, table } from '../src/index.js';

describe('table', () => {
  it('aligns text left and numbers right, headers with their column, no trailing spaces', () => {
    expect(table(['name', 'count'], [['rx', 12], ['tx_ring', 3]])).toBe(['  name     count', '  -------  -----', '  rx          12', '  tx_ring      3'].join('\n'));
  });

  it('shows empty cells as -, honours explicit alignment, indent and gap', () => {
    const t = table([{ header: 'a', align: 'right' }, 'b', 'c'], [['x', null, 1], ['yy', 'z', undefined]], { indent: '', gap: ' | ' });
    expect(t.split('\n')).toEqual([' a | b | c', '-- | - | -', ' x | - | 1', 'yy | z | -']);
  });

  it('a mixed column (numbers and text) is left-aligned; no rows gives header and rule', () => {
    expect(table(['v'], [[1], ['two']], { indent: '' }).split('\n')).toEqual(['v', '---', '1', 'two']);
    expect(table(['a', 'bb'], [])).toBe('  a  bb\n  -  --');
  });
});

describe('formatting', () => {
  it('formatBytes: exact units without decimals, one decimal otherwise', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(640)).toBe('640 B');
    expect(formatBytes(4096)).toBe('4 KiB');
    expect(formatBytes(2 * 1024 * 1024)).toBe('2 MiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
    expect(formatBytes(1023 * 1024 * 1024 * 1024 * 2)).toBe('2 TiB');
  });

  it('pageSizeOption gives mount(8) pagesize= values', () => {
    expect(pageSizeOption(2 * 1024 * 1024)).toBe('2M');
    expect(pageSizeOption(1024 ** 3)).toBe('1G');
    expect(pageSizeOption(64 * 1024)).toBe('64K');
  });

  it('hex and percent', () => {
    expect(hex(255)).toBe('0xff');
    expect(hex(2n ** 40n)).toBe('0x10000000000');
    expect(percent(1, 3)).toBe('33.3%');
    expect(percent(0, 0)).toBe('-');
  });
});
