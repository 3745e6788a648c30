/**
 * Memory event callbacks: user functions told when pages are added to or
 * removed from the memory map (the heap growing, or giving whole free pages
 * back).
 *
 * Where they run. DPDK keeps the callback list per process and calls it in
 * the process whose memory map changes: the one that allocates, and every
 * secondary when it maps the same pages during the primary's sync. rtemem
 * has no such sync: every process maps each list file whole at init, so a
 * page backed by one process is there for all of them at once, and no other
 * process (or thread) does anything a callback could hang on. A JS function
 * also runs only in the thread that made it. So callbacks belong to one EAL
 * handle (one thread) and hear about the pages that handle adds and
 * removes; register in each thread and process that allocates.
 *
 * When they run. DPDK calls them with the memory hotplug lock held, so a
 * callback that allocates deadlocks. Here events raised while the caller
 * holds a heap or memseg lock are queued and delivered once it has let go
 * of the last one ({@link MemEvents.hold} / {@link MemEvents.release}), so a
 * callback may use the heap. A callback that throws does not stop the others
 * nor undo the allocation: its error becomes a process warning
 * (RTEMEM_MEM_EVENT_CALLBACK), since the data path that triggered it never
 * throws.
 *
 * @see rte_mem_event_callback_register, rte_mem_event_callback_unregister in
 * DPDK lib/eal/include/rte_memory.h; eal_memalloc_mem_event_notify in
 * lib/eal/common/eal_common_memalloc.c
 */
import { RteError } from './errors.js';

/** Pages were added to the memory map. @see RTE_MEM_EVENT_ALLOC */
export const MEM_EVENT_ALLOC = 0;
/** Pages are about to leave the memory map. @see RTE_MEM_EVENT_FREE */
export const MEM_EVENT_FREE = 1;
/** Longest callback name in bytes, DPDK's RTE_MEM_EVENT_CALLBACK_NAME_LEN minus its NUL. */
export const MEM_EVENT_CALLBACK_NAME_MAX = 63;

/**
 * A memory event callback: `type` is MEM_EVENT_ALLOC or MEM_EVENT_FREE,
 * [addr, addr+len) the rtemem addresses of the pages.
 * @see rte_mem_event_callback_t
 */
export type MemEventCallback = (type: number, addr: number, len: number) => void;

/** One EAL handle's callbacks and the events waiting for its locks to go. */
export class MemEvents {
  readonly #callbacks = new Map<string, MemEventCallback>();
  // Events raised under a lock: type, addr, len, ... in order.
  readonly #queue: number[] = [];
  #held = 0;
  #delivering = false;

  /** Adds callback `name`. Throws EINVAL, ENAMETOOLONG, EEXIST. */
  register(name: string, fn: MemEventCallback): void {
    checkName(name);
    if (typeof fn !== 'function') throw new RteError('EINVAL', `memEventCallbackRegister(${JSON.stringify(name)}): pass a function (type, addr, len) => void`);
    if (this.#callbacks.has(name)) throw new RteError('EEXIST', `a memory event callback named ${JSON.stringify(name)} is registered: unregister it first or pick another name`);
    this.#callbacks.set(name, fn);
  }

  /** Removes callback `name`. Throws EINVAL, ENAMETOOLONG, ENOENT. */
  unregister(name: string): void {
    checkName(name);
    if (!this.#callbacks.delete(name)) throw new RteError('ENOENT', `no memory event callback named ${JSON.stringify(name)} is registered here`);
  }

  /** Callbacks registered. */
  get count(): number {
    return this.#callbacks.size;
  }

  /** Raises an event: delivered now, or when the last lock is let go. */
  notify(type: number, addr: number, len: number): void {
    if (this.#callbacks.size === 0) return;
    this.#queue.push(type, addr, len);
    if (this.#held === 0) this.#deliver();
  }

  /** The caller takes a lock under which callbacks must not run. */
  hold(): void {
    this.#held++;
  }

  /** The caller let go of that lock; at the last one, queued events are delivered. */
  release(): void {
    if (this.#held > 0) this.#held--;
    if (this.#held === 0 && this.#queue.length !== 0) this.#deliver();
  }

  /** Drops every callback and queued event (at cleanup). */
  clear(): void {
    this.#callbacks.clear();
    this.#queue.length = 0;
  }

  #deliver(): void {
    // A callback that allocates raises events of its own: they join the
    // queue and this loop delivers them after the current one, in order.
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      let i = 0;
      for (; i < this.#queue.length; i += 3) {
        const type = this.#queue[i]!;
        const addr = this.#queue[i + 1]!;
        const len = this.#queue[i + 2]!;
        // A copy: a callback may unregister itself or another.
        for (const [name, fn] of [...this.#callbacks]) {
          try {
            fn(type, addr, len);
          } catch (e) {
            process.emitWarning(`memory event callback ${JSON.stringify(name)} threw: ${(e as Error)?.message ?? String(e)}`, {
              code: 'RTEMEM_MEM_EVENT_CALLBACK',
            });
          }
        }
      }
      this.#queue.length = 0;
    } finally {
      this.#delivering = false;
    }
  }
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new RteError('EINVAL', 'a memory event callback needs a non-empty string name');
  if (Buffer.byteLength(name) > MEM_EVENT_CALLBACK_NAME_MAX) {
    throw new RteError('ENAMETOOLONG', `memory event callback name ${JSON.stringify(name)} is longer than ${MEM_EVENT_CALLBACK_NAME_MAX} bytes`);
  }
}

/** Throws ENOTSUP for `what` where memory never changes (legacyMem, the sab backend): no memory events there. */
export function checkMemEventsSupported(what: string, legacyMem: boolean, backend: string): void {
  if (legacyMem || backend === 'sab') {
    throw new RteError('ENOTSUP', `${what}: memory of this EAL never changes (${legacyMem ? 'legacyMem' : 'the sab backend'}), so there are no memory events`);
  }
}
