/**
 * The parts of a ring that both implementations share, compiled into
 * @rtemem/ring-wasm from this source (a relative import its bundle takes
 * in): the shared-memory layout, the geometry and header, the argument
 * checks, the copies between JS arrays and the slots, the dump and the
 * recovery. One definition, so a ring made by either is the same ring. Not
 * part of this package's public API (index.ts does not export it).
 */
export * from './layout.js';
export {
  SYNC_NAMES,
  type Geometry,
  bytesFor,
  checkName,
  checkPlace,
  geometry,
  isHeaderPlace,
  isLiveRing,
  markFreed,
  readName,
  writeHeader,
} from './geometry.js';
export { checkNumbers, checkOut, checkOutValue, checkWords, checkZc, copyFailed, describe } from './check.js';
export { getNumbers, getWords, putNumbers, putWords } from './copy.js';
export { type CounterWords, dumpText, type HeadTail, recoverRing } from './inspect.js';
