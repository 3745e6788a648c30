/**
 * Where a WasmRing lives: a shared WebAssembly.Memory, or the buffer of an
 * EAL's memseg list (which is one), resolved to the buffer JavaScript
 * indexes and the Memory the instance imports; and the typed arrays over a
 * buffer, made once per buffer per thread.
 *
 * @see lib/ring/rte_ring.c (rte_ring_init) in DPDK
 */
import { RteError, type WasmMemory, wasmMemoryOf } from '@rtemem/memzone';

const WA_MEMORY = (globalThis as unknown as { WebAssembly: { Memory: abstract new (...a: never[]) => WasmMemory } }).WebAssembly.Memory;

function isMemory(v: unknown): v is WasmMemory {
  return v instanceof WA_MEMORY;
}

/** The buffer and the wasm offset of its byte 0, for a Memory or a buffer of an EAL's list. */
export function resolveBuffer(where: SharedArrayBuffer | WasmMemory, what: string): { sab: SharedArrayBuffer; memory: WasmMemory; offset: number } {
  if (isMemory(where)) {
    const sab = where.buffer;
    if (!(sab instanceof SharedArrayBuffer)) throw new RteError('EINVAL', `${what}: the WebAssembly.Memory must be shared ({ shared: true })`);
    return { sab, memory: where, offset: 0 };
  }
  if (!(where instanceof SharedArrayBuffer)) throw new RteError('EINVAL', `${what}: a WasmRing lives in a shared WebAssembly.Memory (or the buffer of an EAL's memseg list)`);
  const wm = wasmMemoryOf(where);
  if (wm === undefined) {
    throw new RteError(
      'ENOTSUP',
      `${what}: this SharedArrayBuffer is not a WebAssembly memory's: pass the WebAssembly.Memory itself, or use @rtemem/ring's Ring (RTEMEM_WASM_MEMORY=0 turns the EAL's memories off)`,
    );
  }
  return { sab: where, memory: wm.memory, offset: wm.offset };
}

// What the JS side of a ring handle needs from a buffer: views made once per buffer per thread.
export interface Views {
  i32: Int32Array;
  u32: Uint32Array;
  f64: Float64Array;
}
const viewCache = new WeakMap<SharedArrayBuffer, Views>();
export function viewsOf(sab: SharedArrayBuffer): Views {
  let v = viewCache.get(sab);
  if (v === undefined) {
    v = { i32: new Int32Array(sab, 0, sab.byteLength >>> 2), u32: new Uint32Array(sab, 0, sab.byteLength >>> 2), f64: new Float64Array(sab, 0, Math.floor(sab.byteLength / 8)) };
    viewCache.set(sab, v);
  }
  return v;
}
