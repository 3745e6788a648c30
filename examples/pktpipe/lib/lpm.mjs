// @ts-check
/**
 * Longest-prefix-match route tables for IPv4 and IPv6: one binary trie per
 * family in typed arrays (a node has two child indexes and a next hop).
 * Adding routes is the control path; a lookup walks at most 32 / 128 nodes,
 * remembers the last next hop it passed, and allocates nothing.
 *
 * DPDK's rte_lpm uses DIR-24-8 tables (tbl24 + tbl8) for one memory access
 * per lookup; a trie is slower but small, obviously correct, and plenty for
 * a table of a few dozen routes.
 *
 * @see rte_lpm_add, rte_lpm_lookup, rte_lpm6_add, rte_lpm6_lookup
 */

const NO_HOP = -1;

class Trie {
  /** @param {number} capacity initial nodes */
  constructor(capacity = 64) {
    this.n = 1; // node 0 is the root
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.hop = new Int32Array(capacity).fill(NO_HOP);
  }

  #grow() {
    const cap = this.left.length * 2;
    const l = new Int32Array(cap);
    const r = new Int32Array(cap);
    const h = new Int32Array(cap).fill(NO_HOP);
    l.set(this.left);
    r.set(this.right);
    h.set(this.hop);
    this.left = l;
    this.right = r;
    this.hop = h;
  }

  /**
   * Sets the next hop of the prefix whose bits `bit(0..depth-1)` are given.
   * @param {(i: number) => number} bit
   * @param {number} depth
   * @param {number} hop
   */
  insert(bit, depth, hop) {
    let node = 0;
    for (let i = 0; i < depth; i++) {
      const side = bit(i) === 0 ? this.left : this.right;
      let child = side[node];
      if (child === 0) {
        if (this.n === this.left.length) this.#grow();
        child = this.n++;
        (bit(i) === 0 ? this.left : this.right)[node] = child;
      }
      node = child;
    }
    this.hop[node] = hop;
  }
}

/**
 * @param {string} text
 * @returns {number} the address as an unsigned 32-bit number
 */
export function parseIpv4(text) {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw new Error(`"${text}" is not an IPv4 address (a.b.c.d)`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/**
 * @param {string} text  an IPv6 address, with at most one "::" (no embedded IPv4)
 * @returns {Uint8Array} its 16 bytes
 */
export function parseIpv6(text) {
  const bad = () => new Error(`"${text}" is not an IPv6 address (such as 2001:db8::1)`);
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  /** @param {string} s */
  const groups = (s) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) throw bad();
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/**
 * Formats 16 bytes as an IPv6 address (lower case, longest zero run as "::").
 * @param {Uint8Array} b
 */
export function formatIpv6(b) {
  const g = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i] << 8) | b[i + 1]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** @param {number} a */
export function formatIpv4(a) {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/**
 * An IPv4 + IPv6 route table: `add('10.1.0.0/16', 1)`, `lookup4(addr)`,
 * `lookup6(bytes, offset)`.
 */
export class RouteTable {
  #v4 = new Trie();
  #v6 = new Trie();
  /** @type {{ prefix: string, port: number }[]} */
  #routes = [];

  /**
   * Adds (or replaces) the route of `prefix` ("a.b.c.d/len" or "x:y::/len").
   * Host bits below the prefix length are ignored, as rte_lpm_add does.
   *
   * @param {string} prefix
   * @param {number} hop  next hop (an output port), 0..2**31-1
   * @see rte_lpm_add, rte_lpm6_add
   */
  add(prefix, hop) {
    if (!Number.isInteger(hop) || hop < 0 || hop > 0x7fffffff) throw new Error(`next hop ${hop} is not an integer in 0..2**31-1`);
    const slash = prefix.lastIndexOf('/');
    if (slash < 0) throw new Error(`route "${prefix}" needs a prefix length (such as 10.0.0.0/8)`);
    const addr = prefix.slice(0, slash);
    const lenText = prefix.slice(slash + 1);
    const depth = Number(lenText);
    if (!/^\d{1,3}$/.test(lenText)) throw new Error(`route "${prefix}": bad prefix length`);
    if (addr.includes(':')) {
      if (depth > 128) throw new Error(`route "${prefix}": an IPv6 prefix length is at most 128`);
      const b = parseIpv6(addr);
      this.#v6.insert((i) => (b[i >> 3] >> (7 - (i & 7))) & 1, depth, hop);
    } else {
      if (depth > 32) throw new Error(`route "${prefix}": an IPv4 prefix length is at most 32`);
      const a = parseIpv4(addr);
      this.#v4.insert((i) => Math.floor(a / 2 ** (31 - i)) & 1, depth, hop);
    }
    this.#routes.push({ prefix, port: hop });
    return this;
  }

  /** The routes added, in order. */
  routes() {
    return this.#routes.map((r) => ({ ...r }));
  }

  /**
   * The next hop of the longest prefix holding `addr`, -1 when none does.
   * @param {number} addr  the address's 32 bits, as an unsigned or a signed (int32) number
   * @see rte_lpm_lookup
   */
  lookup4(addr) {
    const t = this.#v4;
    const left = t.left;
    const right = t.right;
    const hops = t.hop;
    let node = 0;
    let best = hops[0];
    for (let i = 31; i >= 0; i--) {
      node = ((addr >>> i) & 1) === 0 ? left[node] : right[node];
      if (node === 0) break;
      const h = hops[node];
      if (h !== NO_HOP) best = h;
    }
    return best;
  }

  /**
   * The next hop of the longest prefix holding the address at u8[at..at+16), -1 when none does.
   * @param {Uint8Array} u8
   * @param {number} at
   * @see rte_lpm6_lookup
   */
  lookup6(u8, at) {
    const t = this.#v6;
    const left = t.left;
    const right = t.right;
    const hops = t.hop;
    let node = 0;
    let best = hops[0];
    for (let byte = 0; byte < 16; byte++) {
      const b = u8[at + byte];
      for (let i = 7; i >= 0; i--) {
        node = ((b >> i) & 1) === 0 ? left[node] : right[node];
        if (node === 0) return best;
        const h = hops[node];
        if (h !== NO_HOP) best = h;
      }
    }
    return best;
  }
}
