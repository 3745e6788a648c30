// The cases of DPDK's app/test/test_memzone.c, bad input, handles, the
// table limits and leaks, on the sab backend (no native code needed).
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BAD_IOVA,
  Eal,
  flagNames,
  Heap,
  MAX_MEMZONE,
  Memory,
  MEMZONE_16GB,
  MEMZONE_16MB,
  MEMZONE_1GB,
  MEMZONE_256KB,
  MEMZONE_256MB,
  MEMZONE_2MB,
  MEMZONE_4GB,
  MEMZONE_512MB,
  MEMZONE_IOVA_CONTIG,
  MEMZONE_KNOWN_FLAGS,
  MEMZONE_NAMESIZE,
  MEMZONE_SIZE_HINT_ONLY,
  type Memzone,
  Memzones,
  pageSizesOf,
  RteError,
  SOCKET_ID_ANY,
} from '../src/index.js';
import { MEMZONE_AREA_BYTES, MZ_ENTRIES, MZ_ENTRY_BYTES, MZ_INDEX, MZ_INDEX_SLOTS, MZ_USED, MZ_USED_WORDS } from '../src/layout.js';
import { codeOf } from '@rtemem/testkit';

const MiB = 1024 * 1024;

let eal: Eal;
let zones: Memzones;
let heap: Heap;
beforeEach(() => {
  eal = Eal.init({ backend: 'sab', memory: 32 * MiB });
  zones = Memzones.of(eal);
  heap = Heap.of(eal);
});
afterEach(() => eal.cleanup());

function overlap(a: Memzone, b: Memzone): boolean {
  return a.addr < b.addr + b.len && b.addr < a.addr + a.len;
}

/** Heap stats with every cached block merged back, for "nothing leaked" checks. */
function heapState(): string {
  heap.cacheFlush();
  heap.audit();
  return JSON.stringify(heap.socketStats(0));
}

describe('reserve and lookup (test_memzone)', () => {
  it('reserves 100, 1000 and 1024 bytes: cache aligned, rounded up to 64, not overlapping, on the right socket', () => {
    const mz1 = zones.reserve('testzone1', 100, SOCKET_ID_ANY, 0);
    const mz2 = zones.reserve('testzone2', 1000, 0, 0);
    const mz4 = zones.reserve('testzone4', 1024, SOCKET_ID_ANY, 0);
    for (const mz of [mz1, mz2, mz4]) {
      expect(mz.addr % 64).toBe(0);
      expect(mz.len % 64).toBe(0);
      expect(mz.len).toBeGreaterThan(0);
      expect(mz.iova).toBe(BAD_IOVA); // sab: IOVAs unknown
      expect(mz.hugepageSz).toBe(eal.pageSize);
      expect(mz.flags).toBe(0);
      heap.validate(mz.addr);
      expect(heap.usableSize(mz.addr)).toBeGreaterThanOrEqual(mz.len);
    }
    expect(mz1.len).toBe(128);
    expect(mz2.len).toBe(1024);
    expect(mz4.len).toBe(1024);
    expect(mz2.socketId).toBe(0);
    expect(overlap(mz1, mz2) || overlap(mz1, mz4) || overlap(mz2, mz4)).toBe(false);
    expect(zones.count()).toBe(3);
  });

  it('finds a zone by name, as the same handle, and null for a name never reserved', () => {
    const mz = zones.reserve('testzone1', 100);
    expect(zones.lookup('testzone1')).toBe(mz);
    expect(zones.lookup('testzone')).toBeNull();
    expect(zones.lookup('testzone12')).toBeNull();
    expect(zones.lookup('ünïcödé')).toBeNull();
    const u = zones.reserve('ünïcödé', 64);
    expect(zones.lookup('ünïcödé')).toBe(u);
  });

  it('refuses a duplicate name with EEXIST and leaves the first zone as it was', () => {
    const mz = zones.reserve('testzone1', 100);
    const before = heapState();
    expect(codeOf(() => zones.reserve('testzone1', 100))).toBe('EEXIST');
    expect(codeOf(() => zones.reserve('testzone1', 5000, SOCKET_ID_ANY, 0, 4096))).toBe('EEXIST');
    expect(heapState()).toBe(before);
    expect(zones.lookup('testzone1')).toBe(mz);
    expect(zones.count()).toBe(1);
  });

  it('aligns to 64 below 64, and to 128 .. 4096 as asked, without overlap (test_memzone_aligned)', () => {
    const got: Memzone[] = [];
    for (const align of [0, 1, 32, 64, 128, 256, 512, 1024, 2048, 4096, 65536]) {
      const mz = zones.reserve(`aligned_${align}`, 100, SOCKET_ID_ANY, 0, align);
      expect(mz.addr % Math.max(64, align)).toBe(0);
      expect(mz.len).toBe(128);
      got.push(mz);
    }
    for (let i = 0; i < got.length; i++) for (let j = i + 1; j < got.length; j++) expect(overlap(got[i]!, got[j]!)).toBe(false);
  });

  it('bytes() is a view onto the zone: a write through one view shows through the lookup and the heap', () => {
    const mz = zones.reserve('view', 300);
    const v = mz.bytes();
    expect(v.length).toBe(mz.len);
    v.fill(0x5a);
    expect(zones.lookup('view')!.bytes()[299]).toBe(0x5a);
    expect(Memory.of(eal).bytes(mz.addr, mz.len).every((b) => b === 0x5a)).toBe(true);
    Memory.of(eal).bytes(mz.addr, 1)[0] = 7;
    expect(mz.bytes()[0]).toBe(7);
    expect(mz.bytes().buffer).toBe(eal.list(Math.floor(mz.addr / 2 ** 30))!.sab);
  });
});

describe('bad input (test_memzone invalid cases)', () => {
  it('refuses an alignment that is not a power of two with EINVAL', () => {
    const before = heapState();
    for (const align of [100, 3, 65, -64, 0.5, Number.NaN, 2 ** 60, '64' as unknown as number, Object.create(null)]) {
      expect(codeOf(() => zones.reserve('invalid_alignment', 100, SOCKET_ID_ANY, 0, align))).toBe('EINVAL');
    }
    expect(zones.lookup('invalid_alignment')).toBeNull();
    expect(heapState()).toBe(before);
  });

  it('refuses a bound that is not a power of two or is below the length with EINVAL (test_memzone_bounded)', () => {
    expect(codeOf(() => zones.reserve('bounded_error_31', 100, SOCKET_ID_ANY, 0, 32, 0xffffffff))).toBe('EINVAL');
    expect(codeOf(() => zones.reserve('bounded_error_32', 100, SOCKET_ID_ANY, 0, 32, 32))).toBe('EINVAL');
    // 100 rounds up to 128, which a bound of 64 cannot hold.
    expect(codeOf(() => zones.reserve('bounded_error_64', 100, SOCKET_ID_ANY, 0, 64, 64))).toBe('EINVAL');
    expect(codeOf(() => zones.reserve('bounded_neg', 100, SOCKET_ID_ANY, 0, 64, -128))).toBe('EINVAL');
    // len 0 needs at least 64.
    expect(codeOf(() => zones.reserve('bounded_zero', 0, SOCKET_ID_ANY, 0, 64, 32))).toBe('EINVAL');
    expect(zones.count()).toBe(0);
  });

  it('refuses lengths that are not whole byte counts with EINVAL and impossible ones with ENOMEM', () => {
    for (const len of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '100' as unknown as number, null as unknown as number]) {
      expect(codeOf(() => zones.reserve('bad_len', len))).toBe('EINVAL');
    }
    // test_memzone_reserving_zone_size_bigger_than_the_maximum (its zone name, 33 bytes, would be ENAMETOOLONG)
    expect(codeOf(() => zones.reserve('zone_size_bigger_than_the_max', 2 ** 52))).toBe('ENOMEM');
    expect(codeOf(() => zones.reserve('too_big', 64 * MiB))).toBe('ENOMEM');
    expect(zones.count()).toBe(0);
  });

  it('refuses unknown flags and bad sockets with EINVAL (test_memzone_invalid_flags, invalid socket)', () => {
    for (const flags of [0x8, 0x10, 0x400, 0x200000, 0x80000000, ~0, -1, 1.5]) {
      expect(codeOf(() => zones.reserve('flag_zone', 100, SOCKET_ID_ANY, flags))).toBe('EINVAL');
    }
    for (const socket of [-2, 1.5, 7, 255, Number.NaN]) {
      expect(codeOf(() => zones.reserve('socket_zone', 100, socket))).toBe('EINVAL');
    }
    expect(zones.count()).toBe(0);
    heap.audit();
  });

  it('checks names: ENAMETOOLONG over 31 bytes of utf-8, EINVAL for non-strings, "" and NUL', () => {
    const name31 = 'n'.repeat(MEMZONE_NAMESIZE - 1);
    expect(zones.reserve(name31, 64).name).toBe(name31);
    expect(zones.lookup(name31)!.name).toBe(name31);
    expect(codeOf(() => zones.reserve('n'.repeat(32), 64))).toBe('ENAMETOOLONG');
    expect(codeOf(() => zones.reserve('é'.repeat(16), 64))).toBe('ENAMETOOLONG'); // 32 bytes of utf-8
    expect(zones.reserve('é'.repeat(15), 64).name).toBe('é'.repeat(15));
    for (const name of [undefined, null, 42, {}, Object.create(null), Symbol('s'), '', 'a\0b', '\ud800']) {
      expect(codeOf(() => zones.reserve(name as string, 64))).toBe('EINVAL');
      expect(codeOf(() => zones.lookup(name as string))).toBe('EINVAL');
    }
    expect(codeOf(() => zones.lookup('n'.repeat(32)))).toBe('ENAMETOOLONG');
    expect(zones.count()).toBe(2);
  });

  it("checks in DPDK's order: full, name, duplicate, alignment, length, bound, socket, flags, memory", () => {
    zones.reserve('dup', 64);
    // Each case breaks one check and every later one: the first must win.
    expect(codeOf(() => zones.reserve('x'.repeat(40), -1, -2, ~0, 3, 3))).toBe('ENAMETOOLONG');
    expect(codeOf(() => zones.reserve('dup', -1, -2, ~0, 3, 3))).toBe('EEXIST');
    expect(codeOf(() => zones.reserve('ok', -1, -2, ~0, 3, 3))).toBe('EINVAL'); // alignment
    expect(codeOf(() => zones.reserve('ok', 64 * MiB, SOCKET_ID_ANY, 0, 64, 0))).toBe('ENOMEM');
    // Flags are checked before memory: an unknown flag on an impossible size is EINVAL.
    expect(codeOf(() => zones.reserve('ok', 64 * MiB, SOCKET_ID_ANY, 0x8))).toBe('EINVAL');
    const tiny = Eal.init({ backend: 'sab', memory: 4 * MiB });
    try {
      const t = Memzones.of(tiny);
      for (let i = 0; i < MAX_MEMZONE; i++) t.reserve(`z${i}`, 64);
      expect(codeOf(() => t.reserve('x'.repeat(40), -1, -2, ~0, 3, 3))).toBe('ENOSPC');
      expect(codeOf(() => t.reserve('z0', 64))).toBe('ENOSPC');
    } finally {
      tiny.cleanup();
    }
  });
});

describe('len 0: the biggest free block (test_memzone_reserve_max)', () => {
  it('reserves all of the biggest free element', () => {
    zones.reserve('small', 1000);
    const greatest = (heap.cacheFlush(), heap.socketStats(0).greatestFreeSize);
    const mz = zones.reserve('max_zone', 0);
    expect(mz.len).toBe(greatest - 64); // the element minus its header
    expect(mz.len % 64).toBe(0);
    expect(heap.socketStats(0).greatestFreeSize).toBeLessThan(greatest);
    mz.bytes().fill(1); // every byte is usable
    heap.validate(zones.lookup('small')!.addr);
  });

  it('with an alignment, reserves the biggest aligned block (test_memzone_reserve_max_aligned)', () => {
    zones.reserve('small', 1000);
    for (const align of [128, 256, 4096]) {
      const greatest = (heap.cacheFlush(), heap.socketStats(0).greatestFreeSize);
      const mz = zones.reserve(`max_zone_aligned_${align}`, 0, SOCKET_ID_ANY, 0, align);
      expect(mz.addr % align).toBe(0);
      expect(mz.len).toBeLessThanOrEqual(greatest - 64);
      expect(mz.len).toBeGreaterThan(greatest - 64 - align);
      zones.free(mz);
    }
  });

  it('with a bound, reserves `bound` bytes inside one bound (bounded_1K_MAX)', () => {
    const mz = zones.reserve('bounded_1K_MAX', 0, SOCKET_ID_ANY, 0, 64, 1024);
    expect(mz.len).toBe(1024);
    expect(Math.floor(mz.addr / 1024)).toBe(Math.floor((mz.addr + mz.len - 1) / 1024));
  });

  it('gives ENOMEM when nothing is free, and the zone back when freed', () => {
    const before = heapState();
    const all = zones.reserve('all', 0);
    expect(codeOf(() => zones.reserve('none', 0))).toBe('ENOMEM');
    expect(codeOf(() => zones.reserve('none', 64))).toBe('ENOMEM');
    expect(zones.lookup('none')).toBeNull();
    zones.free(all);
    expect(heapState()).toBe(before);
  });
});

describe('bounds', () => {
  it('never crosses the bound (check_memzone_bounded cases)', () => {
    for (const [name, len, align, bound] of [
      ['bounded_128', 100, 128, 128],
      ['bounded_256', 100, 256, 128],
      ['bounded_1K', 100, 64, 1024],
      ['bounded_1K_MAX', 0, 64, 1024],
    ] as const) {
      const mz = zones.reserve(name, len, SOCKET_ID_ANY, 0, align, bound);
      expect(mz.addr % align).toBe(0);
      expect(mz.len % 64).toBe(0);
      expect(mz.len).toBeGreaterThanOrEqual(Math.max(len, 64));
      expect(Math.floor(mz.addr / bound)).toBe(Math.floor((mz.addr + mz.len - 1) / bound));
    }
  });

  it('many zones of many sizes with bounds: none crosses its bound, none overlaps another', () => {
    const got: Memzone[] = [];
    let x = 12345;
    const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8;
    for (let i = 0; i < 400; i++) {
      const len = 1 + (rand() % 20000);
      const need = Math.max(64, Math.ceil(len / 64) * 64);
      const bound = 2 ** (Math.ceil(Math.log2(need)) + (rand() % 3));
      const align = 2 ** (6 + (rand() % 5));
      const mz = zones.reserve(`b${i}`, len, SOCKET_ID_ANY, 0, align, bound);
      expect(mz.addr % align).toBe(0);
      expect(Math.floor(mz.addr / bound)).toBe(Math.floor((mz.addr + mz.len - 1) / bound));
      got.push(mz);
      if (i % 3 === 0) zones.free(got.splice(rand() % got.length, 1)[0]!);
    }
    got.sort((a, b) => a.addr - b.addr);
    for (let i = 1; i < got.length; i++) expect(got[i - 1]!.addr + got[i - 1]!.len).toBeLessThanOrEqual(got[i]!.addr);
    heap.audit();
  });
});

describe('free, the table and leaks', () => {
  it('frees a zone: its name and its memory can be used again', () => {
    const before = heapState();
    const mz = zones.reserve('tempzone', 2000);
    zones.free(mz);
    expect(zones.lookup('tempzone')).toBeNull();
    expect(zones.count()).toBe(0);
    expect(heapState()).toBe(before);
    const again = zones.reserve('tempzone', 2000);
    expect(again).not.toBe(mz);
    expect(again.addr).toBe(mz.addr);
    expect(zones.lookup('tempzone')).toBe(again);
  });

  it('refuses a double free, a stale handle, and things that are not handles with EINVAL, changing nothing', () => {
    const mz = zones.reserve('tempzone', 100);
    zones.free(mz);
    const again = zones.reserve('tempzone', 100); // same name, likely same slot and address
    const before = heapState();
    expect(codeOf(() => zones.free(mz))).toBe('EINVAL');
    expect(codeOf(() => zones.free(null as unknown as Memzone))).toBe('EINVAL');
    expect(codeOf(() => zones.free({ ...again } as Memzone))).toBe('EINVAL');
    expect(codeOf(() => zones.free({ name: 'tempzone', addr: again.addr } as Memzone))).toBe('EINVAL');
    expect(heapState()).toBe(before);
    expect(zones.lookup('tempzone')).toBe(again);
    expect(again.live).toBe(true);
    expect(mz.live).toBe(false);
    expect(codeOf(() => mz.bytes())).toBe('EINVAL');
    zones.free(again);
    expect(codeOf(() => zones.free(again))).toBe('EINVAL');
  });

  it('refuses a handle of another EAL', () => {
    const other = Eal.init({ backend: 'sab', memory: 4 * MiB });
    try {
      const mz = Memzones.of(other).reserve('theirs', 64);
      zones.reserve('theirs', 64);
      expect(codeOf(() => zones.free(mz))).toBe('EINVAL');
      expect(zones.count()).toBe(1);
      Memzones.of(other).free(mz);
    } finally {
      other.cleanup();
    }
  });

  it('fills the table to MAX_MEMZONE, refuses one more with ENOSPC, and takes one again after a free (test_memzone_free)', () => {
    const before = heapState();
    const all: Memzone[] = [];
    for (let i = 0; i < MAX_MEMZONE; i++) all.push(zones.reserve(`tempzone${i}`, 64));
    expect(zones.count()).toBe(MAX_MEMZONE);
    expect(new Set(all.map((m) => m.index)).size).toBe(MAX_MEMZONE);
    expect(codeOf(() => zones.reserve('tempzone_more', 64))).toBe('ENOSPC');
    zones.free(all[1234]!);
    expect(zones.count()).toBe(MAX_MEMZONE - 1);
    const back = zones.reserve('tempzone_more', 64);
    expect(back.index).toBe(1234);
    expect(codeOf(() => zones.reserve('tempzone_more2', 64))).toBe('ENOSPC');
    // Every zone is still found by name.
    for (let i = 0; i < MAX_MEMZONE; i += 97) if (i !== 1234) expect(zones.lookup(`tempzone${i}`)).toBe(all[i]);
    zones.free(back);
    for (const mz of all) if (mz.index !== 1234) zones.free(mz);
    expect(zones.count()).toBe(0);
    expect(heapState()).toBe(before);
  });

  it('leaks nothing after many zones of every kind are freed', () => {
    const before = heapState();
    const got: Memzone[] = [];
    for (let i = 0; i < 200; i++) {
      got.push(zones.reserve(`leak${i}`, (i * 977) % 50000, SOCKET_ID_ANY, i % 5 === 0 ? MEMZONE_IOVA_CONTIG : 0, 2 ** (6 + (i % 7)), i % 4 === 0 ? 2 ** 17 : 0));
    }
    got.push(zones.reserve('leak_biggest', 0));
    for (const mz of got.reverse()) zones.free(mz);
    expect(zones.count()).toBe(0);
    expect(heapState()).toBe(before);
  });
});

describe('after cleanup', () => {
  it('refuses every call with EINVAL', () => {
    const other = Eal.init({ backend: 'sab', memory: 4 * MiB });
    const z = Memzones.of(other);
    const mz = z.reserve('gone', 64);
    other.cleanup();
    expect(codeOf(() => z.reserve('x', 64))).toBe('EINVAL');
    expect(codeOf(() => z.lookup('gone'))).toBe('EINVAL');
    expect(codeOf(() => z.free(mz))).toBe('EINVAL');
    expect(codeOf(() => z.count())).toBe('EINVAL');
    expect(codeOf(() => z.walk(() => undefined))).toBe('EINVAL');
    expect(codeOf(() => z.dump())).toBe('EINVAL');
  });
});

describe('walk, count, dump', () => {
  it('walks every zone once, and lets the callback free zones', () => {
    const names = ['a', 'b', 'c', 'd'];
    for (const n of names) zones.reserve(n, 100);
    const seen: string[] = [];
    zones.walk((mz) => {
      seen.push(mz.name);
      zones.free(mz); // no deadlock: fn runs outside the lock
    });
    expect(seen.sort()).toEqual(names);
    expect(zones.count()).toBe(0);
  });

  it('dumps a header and one line per zone with name, address, IOVA, length, socket and flags', () => {
    zones.reserve('dump_a', 100);
    const b = zones.reserve('dump_b', 5000, 0, MEMZONE_IOVA_CONTIG, 256);
    const lines = zones.dump().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/2 of 2560/);
    const line = lines.find((l) => l.includes('<dump_b>'))!;
    expect(line).toContain(`addr:0x${b.addr.toString(16)}`);
    expect(line).toContain('iova:BAD_IOVA');
    expect(line).toContain(`len:0x${(5056).toString(16)}`);
    expect(line).toContain('socket_id:0');
    expect(line).toContain('flags:0x100000 (IOVA_CONTIG)');
  });
});

describe('flags and layout', () => {
  it("has DPDK 22.11's flag values", () => {
    expect([MEMZONE_2MB, MEMZONE_1GB, MEMZONE_16MB, MEMZONE_16GB, MEMZONE_256KB, MEMZONE_256MB, MEMZONE_512MB, MEMZONE_4GB]).toEqual([
      0x1, 0x2, 0x100, 0x200, 0x10000, 0x20000, 0x40000, 0x80000,
    ]);
    expect(MEMZONE_SIZE_HINT_ONLY).toBe(0x4);
    expect(MEMZONE_IOVA_CONTIG).toBe(0x100000);
    expect(MEMZONE_KNOWN_FLAGS).toBe(
      MEMZONE_2MB | MEMZONE_1GB | MEMZONE_16MB | MEMZONE_16GB | MEMZONE_256KB | MEMZONE_256MB | MEMZONE_512MB | MEMZONE_4GB | MEMZONE_SIZE_HINT_ONLY | MEMZONE_IOVA_CONTIG,
    );
    expect(MEMZONE_NAMESIZE).toBe(32);
    expect(MAX_MEMZONE).toBe(2560);
    expect(pageSizesOf(0)).toBeNull();
    expect(pageSizesOf(MEMZONE_SIZE_HINT_ONLY | MEMZONE_IOVA_CONTIG)).toBeNull();
    expect(pageSizesOf(MEMZONE_2MB | MEMZONE_1GB | MEMZONE_SIZE_HINT_ONLY)).toEqual([2 * MiB, 1024 * MiB]);
    expect(pageSizesOf(MEMZONE_16GB)).toEqual([16 * 1024 * MiB]);
    expect(flagNames(MEMZONE_2MB | MEMZONE_SIZE_HINT_ONLY)).toBe('2MB|SIZE_HINT_ONLY');
  });

  it('page-size flags on 4 KiB pages: ENOMEM unless SIZE_HINT_ONLY', () => {
    expect(codeOf(() => zones.reserve('flag_zone_2M', 100, SOCKET_ID_ANY, MEMZONE_2MB))).toBe('ENOMEM');
    expect(codeOf(() => zones.reserve('flag_zone_1G', 100, SOCKET_ID_ANY, MEMZONE_1GB))).toBe('ENOMEM');
    const hint = zones.reserve('flag_zone_2M_HINT', 100, SOCKET_ID_ANY, MEMZONE_2MB | MEMZONE_SIZE_HINT_ONLY);
    expect(hint.hugepageSz).toBe(4096);
    expect(hint.flags).toBe(MEMZONE_2MB | MEMZONE_SIZE_HINT_ONLY);
    expect(zones.reserve('hint_only', 100, SOCKET_ID_ANY, MEMZONE_SIZE_HINT_ONLY).hugepageSz).toBe(4096);
  });

  it('page-size flags select external heap memory of that page size', () => {
    const socket = heap.createHeap('ext2m');
    const buf = new SharedArrayBuffer(4 * MiB);
    heap.addMemory('ext2m', buf, 2 * MiB);
    const mz = zones.reserve('ext_zone', 1000, socket, MEMZONE_2MB);
    expect(mz.socketId).toBe(socket);
    expect(mz.hugepageSz).toBe(2 * MiB);
    expect(mz.bytes().buffer).toBe(buf);
    expect(codeOf(() => zones.reserve('ext_1g', 1000, socket, MEMZONE_1GB))).toBe('ENOMEM');
    expect(zones.reserve('ext_1g_hint', 1000, socket, MEMZONE_1GB | MEMZONE_SIZE_HINT_ONLY).hugepageSz).toBe(2 * MiB);
    // On the socket heap (4 KiB pages) the 2 MiB flag finds nothing.
    expect(codeOf(() => zones.reserve('sock_2m', 1000, 0, MEMZONE_2MB))).toBe('ENOMEM');
    zones.walk((z) => zones.free(z));
    heap.removeMemory('ext2m', buf);
    heap.destroyHeap('ext2m');
  });

  it('keeps layout constants literal (so the bundler inlines them), functions last', () => {
    const src = readFileSync(new URL('../src/layout.ts', import.meta.url), 'utf8');
    const consts = [...src.matchAll(/^export const (\w+) = ([^;]+);/gm)];
    expect(consts.length).toBeGreaterThan(20);
    for (const [, name, value] of consts) expect(`${name} = ${value}`).toMatch(/= (-?\d+|0x[0-9a-f]+|'[^']*')$/);
    expect(src.indexOf('export function')).toBeGreaterThan(src.lastIndexOf('export const'));
    expect(MZ_USED).toBe(MZ_ENTRIES + MAX_MEMZONE * MZ_ENTRY_BYTES);
    expect(MZ_USED_WORDS * 32).toBe(MAX_MEMZONE);
    expect(MZ_INDEX).toBe(MZ_USED + Math.ceil((MZ_USED_WORDS * 4) / 128) * 128);
    expect(MZ_INDEX_SLOTS & (MZ_INDEX_SLOTS - 1)).toBe(0);
    expect(MZ_INDEX_SLOTS).toBeGreaterThanOrEqual(MAX_MEMZONE * 1.6);
    expect(MEMZONE_AREA_BYTES).toBe(MZ_INDEX + MZ_INDEX_SLOTS * 4);
    expect(MZ_ENTRY_BYTES % 64).toBe(0);
    const built = readFileSync(new URL('../dist/index.js', import.meta.url), 'utf8');
    expect(built).not.toMatch(/\bMZE?_[A-Z_]+\b/);
  });
});

describe('the README example', () => {
  it('runs', () => {
    // Same code as README.md, on the sab backend.
    const e = Eal.init({ backend: 'sab', memory: 8 * MiB });
    try {
      const z = Memzones.of(e);
      const mz = z.reserve('stats', 4096, SOCKET_ID_ANY, MEMZONE_IOVA_CONTIG, 4096);
      mz.bytes().fill(0);
      expect(z.lookup('stats')).toBe(mz);
      expect(mz.addr % 4096).toBe(0);
      expect(z.dump()).toContain('<stats>');
      z.free(mz);
      expect(z.lookup('stats')).toBeNull();
    } finally {
      e.cleanup();
    }
  });
});
