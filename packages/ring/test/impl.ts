/**
 * The ring implementation the ring tests run on: @rtemem/ring's Ring, or
 * with RTEMEM_RING_IMPL=wasm @rtemem/ring-wasm's WasmRing (same API, same
 * layout). The root vitest config runs them both ways.
 */
import { WasmRing } from '@rtemem/ring-wasm';
import { registerWasmMemory, Ring as JsRing, type WasmMemory } from '../src/index.js';

export const RING_IMPL: 'js' | 'wasm' = process.env.RTEMEM_RING_IMPL === 'wasm' ? 'wasm' : 'js';

/** The Ring class under test. */
export const Ring = (RING_IMPL === 'wasm' ? WasmRing : JsRing) as unknown as typeof JsRing;
export type Ring = JsRing;

/**
 * A buffer for standalone rings: a plain SharedArrayBuffer, or for the
 * wasm ring the buffer of a shared WebAssembly.Memory (what it runs on).
 */
export function ringBuffer(bytes: number): SharedArrayBuffer {
  if (RING_IMPL === 'js') return new SharedArrayBuffer(bytes);
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  const Memory = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => WasmMemory & { buffer: SharedArrayBuffer } } }).WebAssembly.Memory;
  const memory = new Memory({ initial: pages, maximum: pages, shared: true });
  registerWasmMemory(memory.buffer, memory, 0);
  return memory.buffer;
}
