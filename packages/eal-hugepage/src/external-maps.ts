/**
 * One handle's maps of external memory lists, plain (external.ts) and
 * shared (extmem-shared.ts): it enters them in the handle's list array (the
 * `byIndex` array `Eal.list` and `Eal.listOf` read), keeps the memfds of
 * the shared lists the handle registered open until the handle removes the
 * memory or cleans up, and remembers which registration each shared map was
 * made for, so a map of memory removed since (its entry reused) is let go.
 *
 * @see rte_extmem_register, rte_extmem_attach, rte_extmem_detach in DPDK
 * lib/eal/common/eal_common_memory.c
 */
import { closeSync } from 'node:fs';
import type { ConfigRegion } from './config.js';
import { attachExternal, type ExternalHost, registerExternal, unregisterExternal } from './external.js';
import { attachShared, isShared, registerShared, releaseShared, sharedListNamed, sharedStamp } from './extmem-shared.js';
import { ML_F_EXTERNAL } from './layout.js';
import type { MemsegListMap } from './memseg-list.js';

/** The external lists of one handle, in its list array. */
export class ExternalMaps {
  readonly #byIndex: (MemsegListMap | undefined)[];
  // memfds of the shared external lists this handle registered, by list index.
  readonly #ownedMemfds = new Map<number, number>();
  // The registration (sharedStamp) each shared external list of this handle was mapped for.
  readonly #sharedStamps = new Map<number, string>();

  /** `byIndex`: the handle's list array, updated in place. */
  constructor(byIndex: (MemsegListMap | undefined)[]) {
    this.#byIndex = byIndex;
  }

  /** registerExternal, the map entered in this handle. */
  register(host: ExternalHost, buffer: SharedArrayBuffer, pageSize: number, socketId: number): MemsegListMap {
    const map = registerExternal(host, buffer, pageSize, socketId);
    this.#byIndex[map.index] = map;
    return map;
  }

  /** attachExternal, the map entered in this handle. */
  attach(config: ConfigRegion, index: number, buffer: SharedArrayBuffer): MemsegListMap {
    const map = attachExternal(config, index, buffer);
    this.#byIndex[index] = map;
    return map;
  }

  /** registerShared, the map entered in this handle, which keeps the memfd. */
  registerShared(host: ExternalHost & { readonly pid: number }, name: string, len: number, pageSize: number, socketId: number): MemsegListMap {
    const { map, fd } = registerShared(host, name, len, pageSize, socketId);
    this.#byIndex[map.index] = map;
    this.#ownedMemfds.set(map.index, fd);
    this.#sharedStamps.set(map.index, sharedStamp(host.config, map.index));
    return map;
  }

  /** This handle's map of the shared external memory named `name`: the one it has while current, else a new one (attachShared). */
  attachShared(config: ConfigRegion, name: string): MemsegListMap {
    const index = sharedListNamed(config, name);
    const have = index < 0 ? undefined : this.#byIndex[index];
    if (have !== undefined) {
      if (isShared(have.flags) && this.#sharedStamps.get(index) === sharedStamp(config, index)) return have;
      // A map of memory removed since, whose entry was reused: let it go.
      this.detach(index);
    }
    const map = attachShared(config, name);
    this.#byIndex[map.index] = map;
    this.#sharedStamps.set(map.index, sharedStamp(config, map.index));
    return map;
  }

  /** Removes external list `index` from the table, then as detach, and closes its memfd when this handle registered it. */
  unregister(host: ExternalHost, index: number): void {
    unregisterExternal(host, index);
    this.detach(index);
    this.#closeOwnedMemfd(index);
    this.#byIndex[index] = undefined;
  }

  /** Drops external list `index` from this handle only (a shared one is unmapped here); nothing for other lists. */
  detach(index: number): void {
    const m = this.#byIndex[index];
    if (m === undefined || (m.flags & ML_F_EXTERNAL) === 0) return;
    this.#byIndex[index] = undefined;
    if (isShared(m.flags)) {
      releaseShared(m);
      this.#sharedStamps.delete(index);
    }
  }

  /** At cleanup: unmaps every shared external list of this handle, closes the memfds it owns. */
  releaseShared(): void {
    for (let i = 1; i < this.#byIndex.length; i++) {
      const m = this.#byIndex[i];
      if (m !== undefined && isShared(m.flags)) {
        releaseShared(m);
        this.#byIndex[i] = undefined;
      }
    }
    for (const index of [...this.#ownedMemfds.keys()]) this.#closeOwnedMemfd(index);
  }

  #closeOwnedMemfd(index: number): void {
    const fd = this.#ownedMemfds.get(index);
    if (fd === undefined) return;
    this.#ownedMemfds.delete(index);
    try {
      closeSync(fd);
    } catch {
      // Closed already.
    }
  }
}
