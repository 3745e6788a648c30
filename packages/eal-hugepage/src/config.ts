/**
 * The config region: header, lcore table, memseg list table, area directory,
 * areas and segment tables, in one shared buffer (a file in the runtime dir,
 * or a plain SharedArrayBuffer for the sab backend).
 *
 * @see struct rte_mem_config in DPDK eal_memcfg.h
 */
import { alignCeil } from './common.js';
import { CACHE_LINE_SIZE } from './constants.js';
import { RteError } from './errors.js';
import {
  AREA_DIR,
  AREA_ENTRY_BYTES,
  AREA_NAME,
  AREA_NAME_LEN,
  AREA_OFF,
  AREA_SIZE,
  AREAS_START,
  CONFIG_STATE_CLOSED,
  HDR_AREAS_OFF,
  HDR_AREAS_SIZE,
  HDR_AREAS_USED,
  HDR_PAGE_SIZE_COUNT,
  HDR_PRIMARY_PID,
  HDR_PRIMARY_START,
  HDR_STATE,
  LIST_ENTRY_BYTES,
  LIST_TABLE,
  LOCK_CONFIG,
  MAX_AREAS,
  ML_FILE,
  ML_FILE_LEN,
  ML_FLAGS,
  ML_INDEX,
  ML_LENGTH,
  ML_N_SEGS,
  ML_PAGE_SIZE,
  ML_SEG_TABLE,
  ML_SOCKET,
  ML_USED_SEGS,
  MAX_PAGE_SIZES,
  PAGE_SIZE_ENTRY_BYTES,
  PAGE_SIZE_TABLE,
  PS_DIR,
  PS_DIR_LEN,
  PS_PAGE_SIZE,
  SEG_ENTRY_BYTES,
} from './layout.js';
import { lockAcquire, lockRelease } from './lock.js';
import { processAlive } from './process-info.js';
import { SharedViews, utf8Length } from './views.js';

/** What the list table says about one memseg list. */
export interface ListDescriptor {
  index: number;
  /** ML_F_* bits. */
  flags: number;
  socketId: number;
  pageSize: number;
  nSegs: number;
  segTable: number;
  length: number;
  fileName: string;
}

/** One page size the EAL has memseg lists of, and where their files are. */
export interface PageSizeEntry {
  pageSize: number;
  /** Directory of the list files of this size ('' for sab and in-memory). */
  dir: string;
}

/** The config region is mapped in whole OS pages. */
const CONFIG_PAGE = 4096;

/** Bytes of config region needed for lists with these segment counts. */
export function configSizeFor(areasSize: number, segCounts: number[]): number {
  let size = AREAS_START + areasSize;
  for (const n of segCounts) size += n * SEG_ENTRY_BYTES;
  return alignCeil(size, CONFIG_PAGE);
}

/** The config region of one EAL, seen from one thread. */
export class ConfigRegion extends SharedViews {
  /** Byte offset of list `index`'s entry in the list table. */
  listEntry(index: number): number {
    return LIST_TABLE + (index - 1) * LIST_ENTRY_BYTES;
  }

  /** Reads list `index`'s descriptor, or null when the entry is unused. */
  readList(index: number): ListDescriptor | null {
    const e = this.listEntry(index);
    if (this.u32[(e + ML_INDEX) >> 2] !== index) return null;
    return {
      index,
      flags: this.u32[(e + ML_FLAGS) >> 2]!,
      socketId: this.i32[(e + ML_SOCKET) >> 2]!,
      pageSize: this.f64[(e + ML_PAGE_SIZE) >> 3]!,
      nSegs: this.u32[(e + ML_N_SEGS) >> 2]!,
      segTable: this.u32[(e + ML_SEG_TABLE) >> 2]!,
      length: this.f64[(e + ML_LENGTH) >> 3]!,
      fileName: this.readString(e + ML_FILE, ML_FILE_LEN),
    };
  }

  /** Writes a list descriptor (primary, during init). */
  writeList(d: ListDescriptor): void {
    const e = this.listEntry(d.index);
    this.u32[(e + ML_INDEX) >> 2] = d.index;
    this.i32[(e + ML_SOCKET) >> 2] = d.socketId;
    this.f64[(e + ML_PAGE_SIZE) >> 3] = d.pageSize;
    this.u32[(e + ML_N_SEGS) >> 2] = d.nSegs;
    this.u32[(e + ML_SEG_TABLE) >> 2] = d.segTable;
    this.u32[(e + ML_USED_SEGS) >> 2] = 0;
    this.u32[(e + ML_FLAGS) >> 2] = d.flags;
    this.f64[(e + ML_LENGTH) >> 3] = d.length;
    this.writeString(e + ML_FILE, ML_FILE_LEN, d.fileName);
  }

  /**
   * Writes the page size table (primary, during init): every size the
   * EAL has lists of, smallest first, with its directory. Throws EINVAL
   * for more than MAX_PAGE_SIZES sizes.
   */
  writePageSizes(sizes: readonly PageSizeEntry[]): void {
    if (sizes.length === 0 || sizes.length > MAX_PAGE_SIZES) {
      throw new RteError('EINVAL', `an EAL has 1 to ${MAX_PAGE_SIZES} page sizes, not ${sizes.length}`);
    }
    sizes.forEach((s, i) => {
      const e = PAGE_SIZE_TABLE + i * PAGE_SIZE_ENTRY_BYTES;
      this.f64[(e + PS_PAGE_SIZE) >> 3] = s.pageSize;
      this.writeString(e + PS_DIR, PS_DIR_LEN, s.dir);
    });
    this.u32[HDR_PAGE_SIZE_COUNT >> 2] = sizes.length;
  }

  /** The page size table: every size the EAL has lists of, smallest first. */
  pageSizes(): PageSizeEntry[] {
    const n = Math.min(this.u32[HDR_PAGE_SIZE_COUNT >> 2]!, MAX_PAGE_SIZES);
    const out: PageSizeEntry[] = [];
    for (let i = 0; i < n; i++) {
      const e = PAGE_SIZE_TABLE + i * PAGE_SIZE_ENTRY_BYTES;
      out.push({ pageSize: this.f64[(e + PS_PAGE_SIZE) >> 3]!, dir: this.readString(e + PS_DIR, PS_DIR_LEN) });
    }
    return out;
  }

  /** The directory of the list files of `pageSize` pages ('' when the table has no such size). */
  pageDirOf(pageSize: number): string {
    return this.pageSizes().find((s) => s.pageSize === pageSize)?.dir ?? '';
  }

  /**
   * Finds the area named `name`, creating it zero-filled with `size` bytes
   * (64-byte aligned) when it does not exist yet. Returns its byte offset.
   * Every thread and process gets the same offset for the same name.
   */
  area(name: string, size: number, pid: number, lcore: number): number {
    // Checked before anything is written: a size that is not a positive whole
    // number would move the areas' end backwards, and the next area would be
    // laid (zero-filled) over live ones.
    if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) {
      throw new RteError('EINVAL', `a config area name must be a non-empty string without NUL, not ${typeof name === 'string' ? JSON.stringify(name) : typeof name}`);
    }
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) {
      throw new RteError('EINVAL', `a config area's size must be a positive whole number of bytes, not ${String(size)}`);
    }
    if (utf8Length(name) >= AREA_NAME_LEN) {
      throw new RteError('ENAMETOOLONG', `area name ${JSON.stringify(name)} is longer than ${AREA_NAME_LEN - 1} bytes`);
    }
    lockAcquire(this.i32, LOCK_CONFIG, pid, lcore);
    try {
      let free = -1;
      for (let i = 0; i < MAX_AREAS; i++) {
        const e = AREA_DIR + i * AREA_ENTRY_BYTES;
        if (this.u8[e + AREA_NAME] === 0) {
          if (free < 0) free = e;
          continue;
        }
        if (this.readString(e + AREA_NAME, AREA_NAME_LEN) !== name) continue;
        const have = this.u32[(e + AREA_SIZE) >> 2]!;
        if (have < size) {
          throw new RteError('EINVAL', `config area ${name} has ${have} bytes, ${size} asked: primary and secondary run different rtemem versions`);
        }
        return this.u32[(e + AREA_OFF) >> 2]!;
      }
      if (free < 0) throw new RteError('ENOSPC', `no free entry for config area ${name}: all ${MAX_AREAS} are used`);
      const start = this.u32[HDR_AREAS_OFF >> 2]!;
      const capacity = this.u32[HDR_AREAS_SIZE >> 2]!;
      const used = this.u32[HDR_AREAS_USED >> 2]!;
      const off = alignCeil(used, CACHE_LINE_SIZE);
      if (off + size > capacity) {
        throw new RteError('ENOSPC', `config areas are full (${capacity} bytes): cannot add ${name} (${size} bytes)`);
      }
      this.u8.fill(0, start + off, start + off + size);
      this.u32[HDR_AREAS_USED >> 2] = off + size;
      this.u32[(free + AREA_OFF) >> 2] = start + off;
      this.u32[(free + AREA_SIZE) >> 2] = size;
      this.writeString(free + AREA_NAME, AREA_NAME_LEN, name);
      return start + off;
    } finally {
      lockRelease(this.i32, LOCK_CONFIG);
    }
  }

  /**
   * True while the primary that made this config lives: it has not shut
   * down, and its pid is alive with the start time it recorded (a later
   * process reusing the pid does not count).
   */
  primaryAlive(): boolean {
    if (Atomics.load(this.i32, HDR_STATE >> 2) === CONFIG_STATE_CLOSED) return false;
    return processAlive(this.i32[HDR_PRIMARY_PID >> 2]!, this.f64[HDR_PRIMARY_START >> 3]!);
  }

  /** Clears list `index`'s entry (an external list being removed). */
  clearList(index: number): void {
    this.u8.fill(0, this.listEntry(index), this.listEntry(index) + LIST_ENTRY_BYTES);
  }

  /** Every area's name, offset and size (for dumps). */
  areas(): { name: string; offset: number; size: number }[] {
    const out: { name: string; offset: number; size: number }[] = [];
    for (let i = 0; i < MAX_AREAS; i++) {
      const e = AREA_DIR + i * AREA_ENTRY_BYTES;
      if (this.u8[e + AREA_NAME] === 0) continue;
      out.push({
        name: this.readString(e + AREA_NAME, AREA_NAME_LEN),
        offset: this.u32[(e + AREA_OFF) >> 2]!,
        size: this.u32[(e + AREA_SIZE) >> 2]!,
      });
    }
    return out;
  }
}
