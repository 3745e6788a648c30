/**
 * The chart of bench/RESULTS.md: ns per op (median) of rtemem and each peer,
 * one panel per case and backend, log scale, rendered to SVG by vega-lite
 * and vega in Node (no browser, no canvas). Throughput cases are drawn as
 * ns per object (1000 / Mobj/s) so that every bar reads the same way:
 * shorter is better.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { fmt, nsPerOp } from './figures.mjs';

const RTEMEM_COLOR = '#d62728';
const PEER_COLORS = ['#1f77b4', '#7f7f7f', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#ff7f0e'];

/** One datum per (suite, case, backend, implementation) with a figure. */
export function chartData(doc) {
  const values = [];
  let order = 0;
  for (const s of Object.values(doc.suites)) {
    for (const r of s.rows) {
      order++;
      const panel = `${s.name}: ${r.case}${r.backend === '-' ? '' : ` [${r.backend}]`}${r.unit === 'Mobj/s' ? ' (ns/obj)' : ''}`;
      const impls = [['rtemem', r.rtemem], ...Object.entries(r.peers)];
      for (const [impl, f] of impls) {
        if (!f) continue;
        const ns = nsPerOp(r.unit, f.median);
        values.push({ panel, order, impl, ns, label: fmt(ns) });
      }
    }
  }
  return values;
}

/** The vega-lite spec of the chart. */
export function chartSpec(doc) {
  const values = chartData(doc);
  const peers = [...new Set(values.map((v) => v.impl).filter((i) => i !== 'rtemem'))];
  const domain = ['rtemem', ...peers];
  const range = [RTEMEM_COLOR, ...peers.map((_, i) => PEER_COLORS[i % PEER_COLORS.length])];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'rtemem against its peers: ns per op (median), log scale; shorter is better', anchor: 'start' },
    background: 'white',
    data: { values },
    facet: {
      row: {
        field: 'panel',
        type: 'nominal',
        sort: { field: 'order', op: 'min' },
        title: null,
        header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontWeight: 'bold', labelLimit: 600 },
      },
    },
    spec: {
      width: 520,
      height: { step: 16 },
      encoding: {
        y: { field: 'impl', type: 'nominal', sort: domain, title: null, axis: { labelLimit: 200 } },
        x: { field: 'ns', type: 'quantitative', scale: { type: 'log' }, stack: null, title: 'ns per op (log scale)', axis: { gridOpacity: 0.4 } },
      },
      layer: [
        { mark: 'bar', encoding: { color: { field: 'impl', type: 'nominal', scale: { domain, range }, legend: null } } },
        { mark: { type: 'text', align: 'left', baseline: 'middle', dx: 3, fontSize: 10 }, encoding: { text: { field: 'label' } } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    config: { view: { stroke: null }, facet: { spacing: 8 } },
  };
}

/**
 * vega-lite's logger, less one warning: the chart gives each panel its own
 * y scale over the same field on purpose, which vega-lite warns about.
 */
function quietLogger() {
  const base = vega.logger(vega.Warn);
  const warn = base.warn.bind(base);
  base.warn = (...args) => {
    if (!args.some((a) => /faceted independent scales/.test(String(a)))) warn(...args);
    return base;
  };
  return base;
}

/** The chart as an SVG document; with no figures yet, one panel titled "no results yet". */
export async function renderChart(doc) {
  const spec = chartSpec(doc);
  if (spec.data.values.length === 0) spec.data.values.push({ panel: 'no results yet', impl: 'rtemem', ns: 1, label: '' });
  const view = new vega.View(vega.parse(vl.compile(spec, { logger: quietLogger() }).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
