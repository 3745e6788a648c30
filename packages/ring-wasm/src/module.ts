/**
 * The compiled ring module (wasm/ring.wasm, built from scripts/ring.wat.mjs)
 * and one instance of it per WebAssembly memory per thread: an instance
 * imports its memory, and everything else it needs is an argument.
 */
import { readFileSync } from 'node:fs';
import { RteError, type WasmMemory } from '@rtemem/memzone';

/** The functions of an instance (see scripts/ring.wat.mjs). */
export interface RingExports {
  entries(): number;
  last_head(): number;
  last_count(): number;
  status(): number;
  enq1_st(r: number, obj: number): number;
  enq1_mt(r: number, obj: number): number;
  deq1_st(r: number): number;
  deq1_mt(r: number): number;
  finish_prod(r: number, n: number): void;
  finish_cons(r: number, n: number): void;
  forget(r: number): void;
  [moveOrEnd: string]: (...args: number[]) => number | void;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: RingExports };
}

const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * Plain stores publish tails on x86 (TSO), as the JS ring does there;
 * elsewhere, or with RTEMEM_RING_STRICT_ATOMICS=1, the strict build's
 * atomic stores.
 */
export const STRICT = !(process.arch === 'x64' || process.arch === 'ia32') || process.env.RTEMEM_RING_STRICT_ATOMICS === '1';

let compiled: object | null = null;

function compiledModule(): object {
  if (compiled !== null) return compiled;
  // src/*.ts in tests and dist/index.* when built: both one level below the package root.
  const url = new URL(`../wasm/${STRICT ? 'ring-strict' : 'ring'}.wasm`, import.meta.url);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(url);
  } catch (e) {
    throw new RteError('ENOENT', `the ring's WebAssembly module is missing (${(e as Error).message}): build @rtemem/ring-wasm (pnpm build)`);
  }
  compiled = new WA.Module(bytes);
  return compiled;
}

const instances = new WeakMap<WasmMemory, RingExports>();

/** This thread's instance over `memory`. */
export function ringExports(memory: WasmMemory): RingExports {
  let x = instances.get(memory);
  if (x === undefined) {
    x = new WA.Instance(compiledModule(), { env: { memory } }).exports;
    instances.set(memory, x);
  }
  return x;
}
