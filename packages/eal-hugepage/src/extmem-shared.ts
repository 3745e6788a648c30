/**
 * Shared external memory: external memory in a memfd, registered in the
 * memseg list table under a name, that any thread of any process of the EAL
 * maps by that name. (A SharedArrayBuffer registered with external.ts
 * reaches only the threads it is posted to.)
 *
 * Why a memfd, reached through /proc/<pid>/fd/<n>: it has no name in any
 * file system, so nothing is left in /dev/shm, a hugetlbfs mount or the
 * runtime dir whatever way the processes end; the kernel frees its pages
 * when the last descriptor and the last mapping are gone. The registering
 * handle keeps the descriptor open until it removes the memory or cleans
 * up; while it does, other processes (same user, or root) open the memfd
 * through /proc and map it at any address (rtemem addresses are list
 * relative). Once that handle is gone, processes that mapped the memory keep
 * it, and new ones can no longer attach it (ENOENT, saying so).
 *
 * @see rte_extmem_register, rte_extmem_attach, rte_extmem_detach in DPDK
 * lib/eal/common/eal_common_memory.c; rte_malloc_heap_memory_add and
 * _attach in rte_malloc.c, which share external memory with secondaries
 * that map it themselves
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readlinkSync } from 'node:fs';
import { isPowerOfTwo } from './common.js';
import type { ConfigRegion, ListDescriptor } from './config.js';
import { ENOMEM, ENOSPC, ENOTSUP, fromErrno, RteError } from './errors.js';
import type { ExternalHost } from './external.js';
import {
  LIST_SPAN,
  LOCK_CONFIG,
  MAX_LISTS,
  ML_EXT_FD,
  ML_EXT_PID,
  ML_EXT_START,
  ML_EXT_VA,
  ML_F_EXT_SHARED,
  ML_F_EXTERNAL,
  ML_FILE_LEN,
  ML_USED_SEGS,
} from './layout.js';
import { MemsegListMap } from './memseg-list.js';
import { native } from './native.js';
import { processAlive, selfStartTime } from './process-info.js';
import { utf8Length } from './views.js';

/** Longest name of shared external memory, in bytes (the list entry's name field less its NUL). */
export const EXTMEM_NAME_MAX = ML_FILE_LEN - 1;
/** Smallest page of shared external memory: the OS page. */
const MIN_PAGE = 4096;

/** A shared external list mapped in this thread, and the memfd when this handle registered it (-1 otherwise). */
export interface SharedExtmem {
  map: MemsegListMap;
  fd: number;
}

/** The memfd's name: what /proc/<pid>/fd/<n> links to starts with `/memfd:` and this. */
function memfdName(name: string): string {
  return `rtemem_ext_${name}`;
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0') || name.includes('/')) {
    throw new RteError('EINVAL', 'shared external memory needs a non-empty name without NUL or "/"');
  }
  if (utf8Length(name) > EXTMEM_NAME_MAX) {
    throw new RteError('ENAMETOOLONG', `shared external memory name ${JSON.stringify(name)} is longer than ${EXTMEM_NAME_MAX} bytes`);
  }
}

/** The index of the shared external list named `name`, or -1. */
export function sharedListNamed(config: ConfigRegion, name: string): number {
  for (let i = 1; i <= MAX_LISTS; i++) {
    const d = config.readList(i);
    if (d !== null && (d.flags & ML_F_EXT_SHARED) !== 0 && d.fileName === name) return i;
  }
  return -1;
}

/**
 * Creates `len` bytes of memory in a memfd (of hugepages when `pageSize`
 * is above 4 KiB: a hugepage size the kernel has), all of it allocated now,
 * and registers it under `name` as an external list on `socketId`. Throws
 * EINVAL (bad name, length or page size), ENAMETOOLONG, EEXIST (the name is
 * taken), ENOSPC (list table full), ENOMEM (no pages), ENOTSUP (no addon).
 */
export function registerShared(host: ExternalHost & { readonly pid: number }, name: string, len: number, pageSize: number, socketId: number): SharedExtmem {
  checkName(name);
  if (!Number.isSafeInteger(pageSize) || pageSize < MIN_PAGE || !isPowerOfTwo(pageSize)) {
    throw new RteError('EINVAL', `shared external memory: page size must be 4096 or a hugepage size, not ${String(pageSize)}`);
  }
  if (!Number.isSafeInteger(len) || len <= 0 || len > LIST_SPAN || len % pageSize !== 0) {
    throw new RteError('EINVAL', `shared external memory of ${String(len)} bytes: use 1 to ${LIST_SPAN / pageSize} whole pages of ${pageSize} bytes`);
  }
  const n = native();
  if (n === null) throw fromErrno(-ENOTSUP, 'shared external memory needs the native addon');
  const config = host.config;
  host.lock(LOCK_CONFIG);
  let fd = -1;
  try {
    if (sharedListNamed(config, name) >= 0) throw new RteError('EEXIST', `shared external memory named ${JSON.stringify(name)} exists: pick another name or remove it first`);
    let index = -1;
    for (let i = 1; i <= MAX_LISTS && index < 0; i++) if (config.readList(i) === null) index = i;
    if (index < 0) throw new RteError('ENOSPC', `all ${MAX_LISTS} memseg lists are in use: remove external memory first`);
    fd = n.memfdCreate(memfdName(name), pageSize === MIN_PAGE ? 0 : pageSize);
    if (fd < 0) throw fromErrno(fd, `cannot create a memfd of ${pageSize}-byte pages for ${name}`, pageSize === MIN_PAGE ? '' : 'is that a hugepage size this kernel has?');
    ftruncateSync(fd, len);
    // Allocated now: running out is an error here, never a SIGBUS in a process that maps it.
    const r = n.fallocate(fd, false, 0, len, -1);
    if (r < 0) throw fromErrno(r === -ENOSPC ? -ENOMEM : r, `cannot allocate ${len} bytes for shared external memory ${name}`);
    const sab = n.mapFile(fd, len, 0);
    if (typeof sab === 'number') throw fromErrno(sab, `cannot map shared external memory ${name}`);
    const d: ListDescriptor = { index, flags: ML_F_EXTERNAL | ML_F_EXT_SHARED, socketId, pageSize, nSegs: len / pageSize, segTable: 0, length: len, fileName: name };
    config.writeList(d);
    const e = config.listEntry(index);
    config.u32[(e + ML_USED_SEGS) >> 2] = d.nSegs;
    config.i32[(e + ML_EXT_PID) >> 2] = host.pid;
    config.i32[(e + ML_EXT_FD) >> 2] = fd;
    config.f64[(e + ML_EXT_START) >> 3] = selfStartTime;
    // This registration's id (sharedStamp): a later one in the same entry, even by the same process with the same fd number, differs.
    config.f64[(e + ML_EXT_VA) >> 3] = Math.floor(Math.random() * 2 ** 52) + 1;
    return { map: new MemsegListMap(d, sab, -1), fd };
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    throw err;
  } finally {
    host.unlock(LOCK_CONFIG);
  }
}

/**
 * Maps, in this thread, the shared external memory registered as `name`
 * (by any thread of any process of this EAL). Throws ENOENT when no memory
 * has that name or the handle that registered it is gone, EPERM when this
 * process may not open the other's memfd, ENOTSUP without the addon.
 */
export function attachShared(config: ConfigRegion, name: string): MemsegListMap {
  checkName(name);
  const n = native();
  if (n === null) throw fromErrno(-ENOTSUP, 'shared external memory needs the native addon');
  const index = sharedListNamed(config, name);
  if (index < 0) throw new RteError('ENOENT', `no shared external memory named ${JSON.stringify(name)}: register it first (addMemoryShared)`);
  const d = config.readList(index)!;
  const e = config.listEntry(index);
  const pid = config.i32[(e + ML_EXT_PID) >> 2]!;
  const memfd = config.i32[(e + ML_EXT_FD) >> 2]!;
  const gone = () =>
    new RteError('ENOENT', `shared external memory ${name}: the process that registered it (pid ${pid}) is gone or let it go; processes that mapped it keep it, no new one can attach it`);
  if (!processAlive(pid, config.f64[(e + ML_EXT_START) >> 3]!)) throw gone();
  const path = `/proc/${pid}/fd/${memfd}`;
  let fd: number;
  try {
    // The descriptor must still be our memfd (not a number reused by the process for another file).
    if (!readlinkSync(path).startsWith(`/memfd:${memfdName(name)} `)) throw gone();
    fd = openSync(path, 'r+');
  } catch (err) {
    if (err instanceof RteError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new RteError('EPERM', `cannot open ${path} (shared external memory ${name}): run as the user of pid ${pid}, or as root`);
    }
    throw gone();
  }
  try {
    if (fstatSync(fd).size !== d.length) throw new RteError('EINVAL', `shared external memory ${name}: the memfd is not ${d.length} bytes long`);
    const sab = n.mapFile(fd, d.length, 0);
    if (typeof sab === 'number') throw fromErrno(sab, `cannot map shared external memory ${name}`);
    return new MemsegListMap(d, sab, -1);
  } finally {
    // The mapping keeps the memfd alive; this descriptor is not needed.
    closeSync(fd);
  }
}

/** Unmaps this thread's map of a shared external list (typed arrays on it read zeros afterwards). */
export function releaseShared(map: MemsegListMap): void {
  if ((map.flags & ML_F_EXT_SHARED) === 0) throw new RteError('EINVAL', `memseg list ${map.index} is not shared external memory`);
  native()?.release(map.sab);
}

/**
 * Which registration list `index` holds now: the registering process, its
 * memfd and start time. A map made for another registration (removed, the
 * entry reused) is stale.
 */
export function sharedStamp(config: ConfigRegion, index: number): string {
  const e = config.listEntry(index);
  return `${config.i32[(e + ML_EXT_PID) >> 2]}:${config.i32[(e + ML_EXT_FD) >> 2]}:${config.f64[(e + ML_EXT_START) >> 3]}:${config.f64[(e + ML_EXT_VA) >> 3]}`;
}

/** True for the descriptor of a shared external list. */
export function isShared(flags: number): boolean {
  return (flags & ML_F_EXT_SHARED) !== 0;
}

