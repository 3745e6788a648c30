/**
 * The ring implementation under test: the default drivers use the JS or
 * the wasm ring (RTEMEM_RING_IMPL, see src/ops.ts); the root vitest config
 * runs these tests both ways. A ring driver named in a test is the same
 * ring on that implementation.
 */
import { DEFAULT_RING_IMPL } from '../src/index.js';

export const RING_IMPL = DEFAULT_RING_IMPL;

/** 'ring_mp_mc' -> 'ring_mp_mc_wasm' under the wasm ring; other drivers as they are. */
export function ringOps(name: string): string {
  return RING_IMPL === 'wasm' && name.startsWith('ring_') ? `${name}_wasm` : name;
}
