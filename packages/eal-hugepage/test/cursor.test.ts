import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Eal, LIST_OFFSET_MASK, LIST_SPAN, LIST_SPAN_LOG2, ListCursor, listIndexOf, listOffsetOf, RteError } from '../src/index.js';

const MiB = 1024 * 1024;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RteError);
    return (e as RteError).code;
  }
  return undefined;
}

const open: Eal[] = [];
function sabEal(memory = 4 * MiB): Eal {
  const eal = Eal.init({ backend: 'sab', memory });
  open.push(eal);
  return eal;
}
afterEach(() => {
  while (open.length) open.pop()!.cleanup();
});

describe('address words (layout.ts)', () => {
  it('LIST_SPAN is 2**LIST_SPAN_LOG2 and LIST_OFFSET_MASK is LIST_SPAN - 1', () => {
    expect(LIST_SPAN).toBe(2 ** LIST_SPAN_LOG2);
    expect(LIST_OFFSET_MASK).toBe(LIST_SPAN - 1);
  });

  it('listIndexOf / listOffsetOf split an address below and above 2**32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: LIST_SPAN - 1 }), (li, off) => {
        const addr = li * LIST_SPAN + off;
        expect(listIndexOf(addr)).toBe(li);
        expect(listOffsetOf(addr)).toBe(off);
      }),
    );
    expect(listIndexOf(4 * LIST_SPAN)).toBe(4); // 2**32: not a uint32 any more
    expect(listOffsetOf(4 * LIST_SPAN + 5)).toBe(5);
  });
});

describe('ListCursor', () => {
  it("decodes an address into its list's own views and the offset", () => {
    const eal = sabEal();
    const list = eal.lists[0]!;
    const cur = new ListCursor(eal, 8);
    // It starts on the first list (so that most programs never take the slow path).
    expect(cur.li).toBe(list.index);
    const o = cur.at(list.baseAddr + 4096);
    expect(o).toBe(4096);
    expect(cur.li).toBe(list.index);
    expect(cur.base).toBe(list.baseAddr);
    expect(cur.base + o).toBe(list.baseAddr + 4096);
    // The list's views themselves: never a new view.
    expect(cur.u8).toBe(list.u8);
    expect(cur.u16).toBe(list.u16);
    expect(cur.i32).toBe(list.i32);
    expect(cur.u32).toBe(list.u32);
    expect(cur.f64).toBe(list.f64);
    cur.f64[o >> 3] = 1.5;
    expect(new DataView(list.sab).getFloat64(4096, true)).toBe(1.5);
  });

  it('starts on no list when its source has no first list, and then refuses every address', () => {
    const empty = new ListCursor({ list: () => undefined }, 8);
    expect([empty.li, empty.lim]).toEqual([-1, -1]);
    expect(empty.u8.length).toBe(0);
    expect(codeOf(() => empty.at(LIST_SPAN + 64))).toBe('EINVAL');
    expect([empty.li, empty.lim]).toEqual([-1, -1]);
  });

  it('gives the same offset on the hit path as on the slow path, for every offset of the list', () => {
    const eal = sabEal();
    const list = eal.lists[0]!;
    const hit = new ListCursor(eal, 16);
    const slow = new ListCursor(eal, 16);
    hit.at(list.baseAddr);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: list.u8.length - 16 }), (off) => {
        const addr = list.baseAddr + off;
        expect(hit.at(addr)).toBe(off);
        expect(slow.seek(addr)).toBe(off);
      }),
    );
  });

  it('bound-checks with its reserve: the last offset with `reserve` bytes left passes, one more throws', () => {
    const eal = sabEal();
    const list = eal.lists[0]!;
    const len = list.u8.length;
    const cur = new ListCursor(eal, 128, 'an mbuf address');
    expect(cur.at(list.baseAddr + len - 128)).toBe(len - 128);
    for (const past of [len - 127, len - 1, len, len + 4096, LIST_SPAN - 1]) {
      expect(codeOf(() => cur.at(list.baseAddr + past)), String(past)).toBe('EINVAL');
    }
    expect(() => cur.at(list.baseAddr + len - 64)).toThrow(/not an mbuf address of this EAL: it lies past the end of memseg list 1/);
    // reserve 0 accepts the end itself (an empty range there), not a byte past it.
    const end = new ListCursor(eal, 0);
    expect(end.at(list.baseAddr + len)).toBe(len);
    expect(codeOf(() => end.at(list.baseAddr + len + 1))).toBe('EINVAL');
  });

  it('says EINVAL for what is not an address, and keeps its list when the list is not mapped', () => {
    const eal = sabEal();
    const list = eal.lists[0]!;
    const cur = new ListCursor(eal, 8);
    cur.at(list.baseAddr + 64);
    for (const bad of [0, -1, -LIST_SPAN, 0.5, LIST_SPAN + 0.5, Number.NaN, Infinity, -Infinity, 2 ** 53, 1e300, LIST_SPAN / 2, 7 * LIST_SPAN, 33 * LIST_SPAN]) {
      expect(codeOf(() => cur.at(bad)), String(bad)).toBe('EINVAL');
      expect(codeOf(() => cur.seek(bad)), String(bad)).toBe('EINVAL');
      expect(cur.li).toBe(list.index);
      expect(cur.u8).toBe(list.u8);
    }
    for (const bad of ['4096', null, undefined, {}]) expect(codeOf(() => cur.at(bad as never)), String(bad)).toBe('EINVAL');
    expect(() => cur.at(7 * LIST_SPAN)).toThrow(/memseg list 7 is not mapped in this thread/);
    expect(codeOf(() => cur.load(0))).toBe('EINVAL');
    expect(codeOf(() => cur.load(1.5))).toBe('EINVAL');
    expect(codeOf(() => new ListCursor(eal, -1))).toBe('EINVAL');
    expect(codeOf(() => new ListCursor(eal, 0.5))).toBe('EINVAL');
  });

  it('switches lists, including lists whose addresses are 2**32 and above', () => {
    const eal = sabEal();
    const buffers = [1, 2, 3, 4].map((i) => new SharedArrayBuffer(i * 64 * 1024));
    const ext = buffers.map((b) => eal.registerExternalList(b, 4096, 0));
    expect(ext.map((l) => l.index)).toEqual([2, 3, 4, 5]);
    const cur = new ListCursor(eal, 8);
    const all = [eal.lists[0]!, ...ext];
    // Round and round: every address lands in its own list, whichever list came before.
    for (let round = 0; round < 3; round++) {
      for (const l of all) {
        const off = (round + 1) * 1024;
        const addr = l.baseAddr + off;
        expect(cur.at(addr)).toBe(off);
        expect(cur.li).toBe(l.index);
        expect(cur.u8).toBe(l.u8);
        expect(cur.lim).toBe(l.u8.length - 8);
      }
    }
    expect(ext[3]!.baseAddr).toBeGreaterThanOrEqual(2 ** 32);
    // The bound check holds above 2**32 too.
    expect(codeOf(() => cur.at(ext[3]!.baseAddr + ext[3]!.u8.length))).toBe('EINVAL');
  });

  it('range() checks that every byte lies in the list, whatever the reserve', () => {
    const eal = sabEal();
    const list = eal.lists[0]!;
    const len = list.u8.length;
    const cur = new ListCursor(eal, 0, 'a buffer');
    expect(cur.range(list.baseAddr + 100, 50)).toBe(100);
    expect(cur.range(list.baseAddr + len - 50, 50)).toBe(len - 50);
    expect(cur.range(list.baseAddr + len, 0)).toBe(len);
    expect(codeOf(() => cur.range(list.baseAddr + len - 50, 51))).toBe('EINVAL');
    expect(codeOf(() => cur.range(list.baseAddr, -1))).toBe('EINVAL');
    expect(codeOf(() => cur.range(list.baseAddr, 1.5))).toBe('EINVAL');
    expect(codeOf(() => cur.range(0, 1))).toBe('EINVAL');
    expect(() => cur.range(list.baseAddr + len - 2, 4)).toThrow(/is not a buffer of this EAL: it runs past the end of memseg list 1/);
  });

  it('forgets a list on reset(): an external list detached from the handle is refused afterwards', () => {
    const eal = sabEal();
    const ext = eal.registerExternalList(new SharedArrayBuffer(64 * 1024), 4096, 0);
    const cur = new ListCursor(eal, 8);
    expect(cur.at(ext.baseAddr + 8)).toBe(8);
    eal.detachExternalList(ext.index);
    cur.reset();
    expect(cur.li).toBe(-1);
    expect(codeOf(() => cur.at(ext.baseAddr + 8))).toBe('EINVAL');
    // And a worker-style second handle: lists it has not attached are not its.
    const other = Eal.attach(eal.workerData());
    open.push(other);
    const oc = new ListCursor(other, 8);
    expect(oc.at(eal.lists[0]!.baseAddr + 8)).toBe(8);
    expect(codeOf(() => oc.at(ext.baseAddr + 8))).toBe('EINVAL');
  });
});
