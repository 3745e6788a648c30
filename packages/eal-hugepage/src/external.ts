/**
 * External memory: a user's SharedArrayBuffer entered in the memseg list
 * table, for an external heap. The table entry is shared; each thread
 * attaches the buffer itself (a SharedArrayBuffer cannot be found from
 * shared memory, only posted).
 *
 * @see rte_extmem_register, rte_extmem_attach, rte_extmem_unregister in
 * DPDK lib/eal/common/eal_common_memory.c
 */
import { isPowerOfTwo } from './common.js';
import type { ConfigRegion, ListDescriptor } from './config.js';
import { RteError } from './errors.js';
import { LIST_SPAN, LOCK_CONFIG, MAX_LISTS, ML_EXT_VA, ML_F_EXT_SHARED, ML_F_EXTERNAL, ML_USED_SEGS } from './layout.js';
import { MemsegListMap } from './memseg-list.js';

/** What an external list needs of the handle: its config and the config lock. */
export interface ExternalHost {
  readonly config: ConfigRegion;
  lock(off: number): void;
  unlock(off: number): void;
}

/** The smallest page of external memory: a cache line. */
const MIN_EXT_PAGE = 64;

/**
 * Enters `buffer` in the list table as external memory of `pageSize` pages
 * on `socketId`, all of it backed, and returns this thread's map of it.
 * Throws EINVAL for a buffer that is not a SharedArrayBuffer, is empty,
 * larger than LIST_SPAN or not a whole number of pages; ENOSPC when the
 * list table is full.
 */
export function registerExternal(host: ExternalHost, buffer: SharedArrayBuffer, pageSize: number, socketId: number): MemsegListMap {
  if (!(buffer instanceof SharedArrayBuffer)) throw new RteError('EINVAL', 'external memory must be a SharedArrayBuffer');
  if (!Number.isSafeInteger(pageSize) || pageSize < MIN_EXT_PAGE || !isPowerOfTwo(pageSize)) {
    throw new RteError('EINVAL', `external page size must be a power of two of at least ${MIN_EXT_PAGE}, not ${String(pageSize)}`);
  }
  const len = buffer.byteLength;
  if (len === 0 || len > LIST_SPAN || len % pageSize !== 0) {
    throw new RteError('EINVAL', `external memory of ${len} bytes: use 1 to ${LIST_SPAN / pageSize} whole pages of ${pageSize} bytes`);
  }
  const config = host.config;
  host.lock(LOCK_CONFIG);
  try {
    let index = -1;
    for (let i = 1; i <= MAX_LISTS; i++) {
      if (config.readList(i) === null) {
        index = i;
        break;
      }
    }
    if (index < 0) throw new RteError('ENOSPC', `all ${MAX_LISTS} memseg lists are in use: remove external memory first`);
    const d: ListDescriptor = { index, flags: ML_F_EXTERNAL, socketId, pageSize, nSegs: len / pageSize, segTable: 0, length: len, fileName: '' };
    config.writeList(d);
    const map = new MemsegListMap(d, buffer, -1);
    config.u32[(config.listEntry(index) + ML_USED_SEGS) >> 2] = d.nSegs;
    // Lets another thread's attach tell the registered buffer from another of the same size.
    config.f64[(config.listEntry(index) + ML_EXT_VA) >> 3] = Number(map.va);
    return map;
  } finally {
    host.unlock(LOCK_CONFIG);
  }
}

/**
 * This thread's map of external list `index`, registered by another
 * thread, over the same `buffer`. Throws EINVAL when `index` is not an
 * external list or the buffer is not the one registered.
 */
export function attachExternal(config: ConfigRegion, index: number, buffer: SharedArrayBuffer): MemsegListMap {
  const d = config.readList(index);
  if (d === null || (d.flags & ML_F_EXTERNAL) === 0) throw new RteError('EINVAL', `memseg list ${index} is not external memory`);
  if ((d.flags & ML_F_EXT_SHARED) !== 0) throw new RteError('EINVAL', `memseg list ${index} is shared external memory: attach it by its name`);
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== d.length) {
    throw new RteError('EINVAL', `external list ${index} has ${d.length} bytes: attach the same SharedArrayBuffer that was registered`);
  }
  const map = new MemsegListMap(d, buffer, -1);
  const va = config.f64[(config.listEntry(index) + ML_EXT_VA) >> 3]!;
  if (va !== 0 && map.va !== 0n && Number(map.va) !== va) {
    throw new RteError('EINVAL', `that buffer is not the one registered as external list ${index}`);
  }
  return map;
}

/** Removes external list `index` from the table. Throws EINVAL when it is not one. */
export function unregisterExternal(host: ExternalHost, index: number): void {
  host.lock(LOCK_CONFIG);
  try {
    const d = host.config.readList(index);
    if (d === null || (d.flags & ML_F_EXTERNAL) === 0) throw new RteError('EINVAL', `memseg list ${index} is not external memory`);
    host.config.clearList(index);
  } finally {
    host.unlock(LOCK_CONFIG);
  }
}
