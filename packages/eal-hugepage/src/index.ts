/**
 * @rtemem/eal-hugepage — the bottom layer of rtemem: hugepage discovery,
 * memory backends (hugetlbfs, anonymous shared files, plain
 * SharedArrayBuffers), the shared config region, primary and secondary
 * processes, worker threads and lcores.
 *
 * @packageDocumentation
 */
export { RteError, errnoName, EPERM, ENOENT, ENOMEM, EBUSY, EEXIST, EINVAL, ENOSPC, ENAMETOOLONG, EOVERFLOW, ENOBUFS, ENOTSUP, ETIMEDOUT } from './errors.js';
export { SOCKET_ID_ANY, LCORE_ID_ANY, MAX_LCORE, BAD_IOVA, CACHE_LINE_SIZE } from './constants.js';
export {
  hugepageInfo,
  hugepageMounts,
  defaultHugepageSize,
  numaNodes,
  parseSize,
  type HugepageInfo,
  type HugepageMount,
  type HugepageNodeInfo,
  type DiscoveryOptions,
} from './hugepage-info.js';
export { nativeAvailable, nativeLoadError, virt2phys } from './native.js';
export { Eal, type EalOptions, type EalWorkerData, type Backend } from './eal.js';
export { formatSize } from './backend.js';
export { LIST_SPAN, LIST_SPAN_LOG2, LIST_OFFSET_MASK, MAX_LISTS, ML_F_EXTERNAL, ML_F_EXT_SHARED, SEG_F_USED, SEG_F_DO_NOT_FREE } from './layout.js';
export { EXTMEM_NAME_MAX } from './extmem-shared.js';
export { segState, segIova, segIovaWords, kernelNodeOf } from './memseg-list.js';
export { MemsegListMap } from './memseg-list.js';
export { ConfigRegion, type ListDescriptor, type PageSizeEntry } from './config.js';
export { SharedViews } from './views.js';
export { ListCursor, listIndexOf, listOffsetOf, type ListSource } from './cursor.js';
export { lockAcquire, lockRelease, lockTry, lockOwner, type LockOwner } from './lock.js';
export { processAlive, processStartTime } from './process-info.js';
export { systemBarrier } from './barrier.js';
export { alignCeil, alignFloor, alignPow2, hex, iovaFromWords, iovaToWords, isPowerOfTwo, IOVA_UNKNOWN } from './common.js';
export { type LcoreInfo } from './lcore.js';
export { validateFilePrefix, runtimeDirFor } from './runtime-dir.js';
export { wasmMemoryOf, wasmMemoryEnabled, registerWasmMemory, WASM_MAX_PAGES, type WasmListMemory, type WasmMemory } from './wasm-memory.js';
export {
  interfaceInfo,
  PacketQueue,
  pktAreaSize,
  pktAreaOffsets,
  PKT_Q_POSTED,
  PKT_Q_CAPACITY,
  PKT_Q_BUF_OFFSET,
  PKT_Q_BUF_CAP,
  PKT_Q_MAX_SEGS,
  PKT_Q_MAX_FRAME,
  PKT_Q_ERRORS,
  PKT_Q_USED,
  PKT_Q_HEADER,
  PKT_ENTRY_BYTES,
  PKT_ST_VLAN,
  PKT_ST_CSUM_NOT_READY,
  PKT_ST_CSUM_VALID,
  PKT_TX_EOP,
  PKT_TX_ERR,
  type InterfaceInfo,
  type PacketQueueOptions,
} from './packet.js';
export { LCORE_STATE_WAIT, LCORE_STATE_RUNNING, LCORE_STATE_FINISHED, CALL_MAIN, SKIP_MAIN } from './launch.js';
export { type MpMessage, type MpReply, type MpAction, MP_MAX_NAME_LEN, MP_MAX_DATA_LEN } from './mp.js';
export { threadGetAffinity, threadSetAffinity } from './affinity.js';
export { MEM_EVENT_ALLOC, MEM_EVENT_FREE, MEM_EVENT_CALLBACK_NAME_MAX, MemEvents, type MemEventCallback } from './mem-event.js';
