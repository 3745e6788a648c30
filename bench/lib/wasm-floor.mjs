/**
 * The floor under a WebAssembly MP/MC ring on V8: the least an enqueue and a
 * dequeue of one object must do with wasm atomics, one call each, and
 * nothing else (no free-space or emptiness check, no wrap, no retry):
 * load the head, compare-and-swap it, move the object, publish the tail.
 * WebAssembly's atomics are sequentially consistent only, so publishing the
 * tail is an `i32.atomic.store`, which x64 compiles to `xchg` (a locked
 * instruction), where DPDK's C uses a release store (a plain `mov`). Two
 * locked instructions and one JS->wasm call per operation are therefore the
 * least a wasm ring pays; a peer column built from this shows how far
 * WasmRing is from it.
 */
import wabtInit from 'wabt';

const WAT = `(module
  (import "e" "m" (memory 1 1 shared))
  ;; 0: prod head, 4: prod tail, 8: cons head, 12: cons tail, 64..: 8 slots of f64
  (func (export "enq") (param $v f64) (local $h i32)
    (local.set $h (i32.atomic.load (i32.const 0)))
    (drop (i32.atomic.rmw.cmpxchg (i32.const 0) (local.get $h) (i32.add (local.get $h) (i32.const 1))))
    (f64.store (i32.add (i32.const 64) (i32.shl (i32.and (local.get $h) (i32.const 7)) (i32.const 3))) (local.get $v))
    (i32.atomic.store (i32.const 4) (i32.add (local.get $h) (i32.const 1))))
  (func (export "deq") (result f64) (local $h i32)
    (local.set $h (i32.atomic.load (i32.const 8)))
    (drop (i32.atomic.rmw.cmpxchg (i32.const 8) (local.get $h) (i32.add (local.get $h) (i32.const 1))))
    (i32.atomic.store (i32.const 12) (i32.add (local.get $h) (i32.const 1)))
    (f64.load (i32.add (i32.const 64) (i32.shl (i32.and (local.get $h) (i32.const 7)) (i32.const 3))))))`;

/** An instance of the floor module on its own shared memory: `{ enq(v), deq() }`. */
export async function wasmFloor() {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('wasm-floor.wat', WAT, { threads: true });
  const { buffer } = mod.toBinary({});
  mod.destroy();
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const { instance } = await WebAssembly.instantiate(buffer, { e: { m: memory } });
  return instance.exports;
}
