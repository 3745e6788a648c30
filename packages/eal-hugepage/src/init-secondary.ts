/**
 * What a secondary process does at init: open the primary's config, wait
 * until the primary has finished its own init, check that the config is
 * one this build can read and that its owner is this user, map every
 * memseg list from its file, and claim an lcore.
 *
 * @see rte_eal_config_attach, rte_eal_config_reattach, eal_memalloc_init
 * (secondary) in DPDK lib/eal
 */
import { existsSync, fstatSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { backendOfCode } from './backend.js';
import { ConfigRegion } from './config.js';
import { LCORE_ID_ANY } from './constants.js';
import { RteError } from './errors.js';
import { type EalParts, InitUndo } from './init-parts.js';
import {
  CONFIG_MAGIC,
  CONFIG_STATE_CLOSED,
  CONFIG_STATE_READY,
  CONFIG_VERSION,
  HDR_BACKEND,
  HDR_FLAGS,
  HDR_LIST_COUNT,
  HDR_MAGIC,
  HDR_OWNER_UID,
  HDR_PAGE_DIR,
  HDR_PAGE_DIR_LEN,
  HDR_PAGE_SIZE,
  HDR_PRIMARY_PID,
  HDR_PRIMARY_START,
  HDR_STATE,
  HDR_VERSION,
  HEADER_BYTES,
  LCORE_ROLE_SECONDARY,
} from './layout.js';
import { claimLcore } from './lcore.js';
import { mapListFile, MemsegListMap } from './memseg-list.js';
import { native } from './native.js';
import type { InitOptions } from './options.js';
import { geteuid, processAlive } from './process-info.js';
import { configPathFor, runtimeDirFor } from './runtime-dir.js';
import { mapListBuffer } from './wasm-memory.js';

/** How long a secondary waits for a starting primary to finish its init. */
const SECONDARY_WAIT_MS = 5000;
/** How often it looks again meanwhile. */
const POLL_MS = 10;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function sleep(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/**
 * Initialises a secondary process (see Eal.init). Throws EINVAL for
 * options a secondary cannot have and for a config it cannot read, ENOTSUP
 * without the native addon, ENOENT when no live primary has the prefix,
 * EPERM when the primary is another user, ENOSPC when no lcore is free;
 * whatever it mapped or opened is undone first.
 */
export function initSecondary(o: InitOptions): EalParts {
  if (o.inMemory) throw new RteError('EINVAL', 'an in-memory EAL has no shared files, so it cannot be a secondary process');
  if (o.backend === 'sab') {
    throw new RteError('EINVAL', 'the sab backend has no shared files: secondary processes need the hugetlbfs or anonymous backend in the primary');
  }
  if (native() === null) throw new RteError('ENOTSUP', 'a secondary process needs the native addon, which did not load');
  const cfgPath = configPathFor(o.filePrefix);
  if (!existsSync(cfgPath)) {
    throw new RteError(
      'ENOENT',
      `no primary process with file prefix '${o.filePrefix}' (no config at ${cfgPath}): start a primary first, or check filePrefix`,
    );
  }
  const undo = new InitUndo();
  try {
    const fd = openSync(cfgPath, 'r+');
    undo.fds.push(fd);
    const deadline = Date.now() + SECONDARY_WAIT_MS;
    const config = mapConfig(fd, cfgPath, deadline, undo);
    checkConfig(config, cfgPath, o.filePrefix);
    waitReady(config, o.filePrefix, deadline);
    if (!config.primaryAlive()) {
      throw new RteError(
        'ENOENT',
        `the primary of '${o.filePrefix}' (pid ${config.i32[HDR_PRIMARY_PID >> 2]}) is not running; its files are stale: start a new primary`,
      );
    }
    const pageDir = config.readString(HDR_PAGE_DIR, HDR_PAGE_DIR_LEN);
    const lists = mapLists(config, undo);
    const lcore = o.readOnly ? LCORE_ID_ANY : claimLcore(config, [...new Set(lists.map((l) => l.socketId))], LCORE_ROLE_SECONDARY);
    return {
      processType: 'secondary',
      backend: backendOfCode(config.u32[HDR_BACKEND >> 2]!),
      backendReason: 'attached to the primary',
      filePrefix: o.filePrefix,
      runtimeDir: runtimeDirFor(o.filePrefix),
      pageDir,
      pageSize: config.f64[HDR_PAGE_SIZE >> 3]!,
      flags: config.u32[HDR_FLAGS >> 2]!,
      config,
      lists,
      configFd: fd,
      isWorker: false,
      staleFilesRemoved: [],
      lcore,
      readOnly: o.readOnly,
    };
  } catch (e) {
    undo.run();
    throw e;
  }
}

// Maps the config file once the primary has sized it (it may still be
// empty while the primary starts). EPERM when the file is another user's.
function mapConfig(fd: number, cfgPath: string, deadline: number, undo: InitUndo): ConfigRegion {
  let st = fstatSync(fd);
  if (st.uid !== geteuid()) {
    throw new RteError('EPERM', `config ${cfgPath} belongs to uid ${st.uid}, this process runs as uid ${geteuid()}: run as the primary's user`);
  }
  while (st.size < HEADER_BYTES) {
    if (Date.now() > deadline) {
      throw new RteError('ENOENT', `config ${cfgPath} is empty: the primary died while starting; start a new primary`);
    }
    sleep(POLL_MS);
    st = fstatSync(fd);
  }
  const sab = mapListFile(fd, st.size, `config region ${cfgPath}`);
  undo.buffers.push(sab);
  return new ConfigRegion(sab);
}

// A config this build can read (magic, layout version), of a primary that
// runs as this user.
function checkConfig(config: ConfigRegion, cfgPath: string, prefix: string): void {
  if (config.u32[HDR_MAGIC >> 2] !== CONFIG_MAGIC) {
    throw new RteError('EINVAL', `${cfgPath} is not an rtemem config region (bad magic): remove it, or use another filePrefix`);
  }
  if (config.u32[HDR_VERSION >> 2] !== CONFIG_VERSION) {
    throw new RteError(
      'EINVAL',
      `${cfgPath} has layout version ${config.u32[HDR_VERSION >> 2]}, this build expects ${CONFIG_VERSION}: run the same rtemem version in primary and secondary`,
    );
  }
  if (config.u32[HDR_OWNER_UID >> 2] !== geteuid()) {
    throw new RteError('EPERM', `the primary of '${prefix}' runs as uid ${config.u32[HDR_OWNER_UID >> 2]}, this process as uid ${geteuid()}`);
  }
}

// Waits for the primary to say READY; ENOENT at once when it shut down or
// died while starting, and when it is not ready by the deadline.
function waitReady(config: ConfigRegion, prefix: string, deadline: number): void {
  while (Atomics.load(config.i32, HDR_STATE >> 2) !== CONFIG_STATE_READY) {
    const starting = config.i32[HDR_PRIMARY_PID >> 2]!;
    if (
      Atomics.load(config.i32, HDR_STATE >> 2) === CONFIG_STATE_CLOSED ||
      Date.now() > deadline ||
      (starting !== 0 && !processAlive(starting, config.f64[HDR_PRIMARY_START >> 3]!))
    ) {
      throw new RteError('ENOENT', `the primary of '${prefix}' is not ready (shut down or died while starting): start a new primary`);
    }
    sleep(POLL_MS);
  }
}

// Maps every list of the primary from its file, in the directory of its
// page size (each hugepage size has a mount of its own).
function mapLists(config: ConfigRegion, undo: InitUndo): MemsegListMap[] {
  const lists: MemsegListMap[] = [];
  const count = config.u32[HDR_LIST_COUNT >> 2]!;
  const dirs = new Map(config.pageSizes().map((s) => [s.pageSize, s.dir]));
  for (let index = 1; index <= count; index++) {
    const d = config.readList(index)!;
    const dir = dirs.get(d.pageSize);
    if (dir === undefined) throw new RteError('EINVAL', `memseg list ${index} has ${d.pageSize}-byte pages, which the config's page size table does not name: the config is damaged; start a new primary`);
    const path = join(dir, d.fileName);
    const lfd = openSync(path, 'r+');
    undo.fds.push(lfd);
    // Over a WebAssembly memory's pages, as the primary's (wasm-memory.ts).
    const lsab = mapListBuffer(lfd, d.length, d.pageSize, `memseg list ${index} (${path})`);
    undo.buffers.push(lsab);
    lists.push(new MemsegListMap(d, lsab, lfd));
  }
  return lists;
}
