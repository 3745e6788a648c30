/**
 * Figures: aggregation over repetitions, the ratio against a peer, and a
 * target's verdict. Pure functions, no I/O.
 *
 * Units: 'ns/op' (time per operation, lower is better) and 'Mobj/s'
 * (throughput, higher is better). A ratio is always oriented so that > 1
 * means rtemem wins: peer / rtemem for time, rtemem / peer for throughput.
 */

/** Units a case may report in; `better` says which direction wins. */
export const UNITS = {
  'ns/op': { better: 'lower' },
  'Mobj/s': { better: 'higher' },
};

/** Throws unless `unit` is one of UNITS. */
export function checkUnit(unit) {
  if (!Object.hasOwn(UNITS, unit)) throw new Error(`unknown unit '${unit}': use one of ${Object.keys(UNITS).join(', ')}`);
}

/** The median of a non-empty list of numbers (mean of the middle two for an even count). */
export function median(values) {
  if (values.length === 0) throw new Error('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * One figure from its repetitions: `best` is the best repetition for the
 * unit (the minimum time, or the maximum throughput) and `median` the
 * median; `reps` keeps every repetition. The headline figure is the median.
 * (For ns/op `best` is the min of the "min and median".)
 */
export function aggregate(reps, unit) {
  checkUnit(unit);
  if (reps.length === 0) throw new Error('a figure needs at least one repetition');
  for (const r of reps) if (!Number.isFinite(r) || r <= 0) throw new Error(`bad repetition value ${r}`);
  const min = Math.min(...reps);
  const max = Math.max(...reps);
  return { median: median(reps), min, max, best: UNITS[unit].better === 'lower' ? min : max, reps: [...reps] };
}

/** rtemem against one peer, both medians in `unit`: > 1 means rtemem wins. */
export function ratio(unit, rtemem, peer) {
  checkUnit(unit);
  if (!(rtemem > 0) || !(peer > 0)) return null;
  return UNITS[unit].better === 'lower' ? peer / rtemem : rtemem / peer;
}

/**
 * rtemem against every peer of a row, and against the best peer (the
 * smallest ratio: the peer rtemem beats by the least, or loses to by the
 * most). `peers` maps a peer's name to its median.
 */
export function ratios(unit, rtemem, peers) {
  const byPeer = {};
  let vsBest = null;
  let bestPeer = null;
  for (const [name, value] of Object.entries(peers)) {
    const r = ratio(unit, rtemem, value);
    byPeer[name] = r;
    if (r !== null && (vsBest === null || r < vsBest)) {
      vsBest = r;
      bestPeer = name;
    }
  }
  return { byPeer, vsBest, bestPeer };
}

/**
 * Checks a target against rtemem's median: `{ max, unit }` passes when the
 * value is at most max, `{ min, unit }` when it is at least min. Returns
 * 'PASS', 'MISS', or '-' without a target or a value.
 */
export function verdict(target, value) {
  if (target === undefined || target === null) return '-';
  if (!(value > 0)) return '-';
  if (typeof target.max === 'number') return value <= target.max ? 'PASS' : 'MISS';
  if (typeof target.min === 'number') return value >= target.min ? 'PASS' : 'MISS';
  throw new Error(`a target needs max or min: ${JSON.stringify(target)}`);
}

/** Throws unless `target` is a well-formed target for a case in `unit`. */
export function checkTarget(target, unit, where) {
  if (target === undefined || target === null) return;
  const hasMax = typeof target.max === 'number';
  const hasMin = typeof target.min === 'number';
  if (hasMax === hasMin) throw new Error(`${where}: a target has exactly one of max or min, got ${JSON.stringify(target)}`);
  if (target.unit !== unit) throw new Error(`${where}: target unit '${target.unit}' differs from the case's unit '${unit}'`);
  if (UNITS[unit].better === 'lower' && !hasMax) throw new Error(`${where}: a ${unit} target is a max (lower is better)`);
  if (UNITS[unit].better === 'higher' && !hasMin) throw new Error(`${where}: a ${unit} target is a min (higher is better)`);
}

/** The target as text: '<= 40 ns/op', '>= 400 Mobj/s', or '-'. */
export function targetText(target) {
  if (!target) return '-';
  return typeof target.max === 'number' ? `<= ${target.max} ${target.unit}` : `>= ${target.min} ${target.unit}`;
}

/** A figure: 3 significant digits below 1000, else a whole number with thousands separators. */
export function fmt(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  const digits = Math.max(0, 2 - Math.floor(Math.log10(abs)));
  return value.toFixed(Math.min(digits, 4));
}

/** A ratio as text: '1.31x'. */
export function fmtRatio(r) {
  return r === null || r === undefined ? '-' : `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** ns per object from a throughput, to chart both kinds on one axis. */
export function nsPerOp(unit, value) {
  return unit === 'ns/op' ? value : 1000 / value;
}
