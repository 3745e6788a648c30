/**
 * Tables from results: the console tables `pnpm bench` prints and
 * bench/RESULTS.md. A table is { header: string[], rows: string[][] } so the
 * same model renders as aligned text or as markdown.
 */
import { fmt, fmtRatio, targetText } from './figures.mjs';
import { nodesTable } from './nodes.mjs';

export const RATIO_NOTE =
  'The rtemem column loads the packages with import (their ES module entry); "rtemem via require" is the same case in a process that loads them with require (their CommonJS entry), and in parentheses its time over import\'s (1.00: as fast). ' +
  'Figures are medians over repetitions; "rtemem min..max" shows how much they varied, so a ratio within that spread is noise. ratio > 1 means rtemem wins: peer / rtemem for ns/op (lower is better), ' +
  'rtemem / peer for Mobj/s (higher is better); "vs best" is against the strongest peer. ' +
  'Verdicts check rtemem\'s median against the case\'s target.';

/** Every peer name a suite's rows use, in first-seen order. */
function peerNames(rows) {
  const names = [];
  for (const r of rows) for (const p of Object.keys(r.peers)) if (!names.includes(p)) names.push(p);
  return names;
}

/**
 * The timing table of a suite result: case, backend, unit, rtemem (median,
 * and the range of its repetitions, to show the noise), each peer (ratio),
 * vs best, target, verdict.
 */
export function timingTable(suite) {
  const peers = peerNames(suite.rows);
  // A require column when the suite also ran through the CommonJS entry.
  const withRequire = suite.rows.some((r) => 'rtememRequire' in r);
  const header = ['case', 'backend', 'unit', 'rtemem', 'rtemem min..max', ...(withRequire ? ['rtemem via require (÷ import)'] : []), ...peers, 'vs best', 'target', 'verdict'];
  const rows = suite.rows.map((r) => [
    r.case,
    r.backend,
    r.unit,
    r.rtemem ? fmt(r.rtemem.median) : 'n/a',
    r.rtemem ? `${fmt(r.rtemem.min)}..${fmt(r.rtemem.max)}` : '',
    ...(withRequire ? [r.rtememRequire ? `${fmt(r.rtememRequire.median)} (${r.requireRatio.toFixed(2)})` : 'n/a'] : []),
    ...peers.map((p) => {
      if (!(p in r.peers)) return '';
      const f = r.peers[p];
      if (!f) return 'n/a';
      return r.ratios[p] == null ? fmt(f.median) : `${fmt(f.median)} (${fmtRatio(r.ratios[p])})`;
    }),
    fmtRatio(r.vsBest),
    targetText(r.target),
    r.verdict,
  ]);
  return { header, rows };
}

/** A garbage cell: '0.000 B/op, 0 GC'. */
function garbageCell(f) {
  if (!f || !f.garbage) return 'n/a';
  const g = f.garbage;
  const b = g.bytesPerOp < 10 ? g.bytesPerOp.toFixed(3) : fmt(g.bytesPerOp);
  return `${b} B/op, ${g.gcs} GC`;
}

/** Short count: 1000000 -> '1M'. */
function count(n) {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** The garbage table of a suite result: JS heap bytes per op and GCs over the metered ops. */
export function garbageTable(suite) {
  const peers = peerNames(suite.rows);
  const header = ['case', 'backend', 'ops metered', 'rtemem', ...peers];
  const rows = suite.rows.map((r) => [
    r.case,
    r.backend,
    r.rtemem?.garbage ? count(r.rtemem.garbage.ops) : '-',
    garbageCell(r.rtemem),
    ...peers.map((p) => (p in r.peers ? garbageCell(r.peers[p]) : '')),
  ]);
  return { header, rows };
}

/** Renders a table as aligned plain text. */
export function renderText({ header, rows }) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Renders a table as markdown. */
export function renderMarkdown({ header, rows }) {
  const esc = (c) => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** What `pnpm bench` prints for one suite. */
export function suiteText(suite) {
  const out = [`== ${suite.name}: ${suite.title} (${suite.reps} repetitions)`];
  for (const s of suite.skipped) out.push(`skipped ${s.backend}: ${s.reason}`);
  if (suite.rows.length > 0) {
    out.push(RATIO_NOTE, '', renderText(timingTable(suite)), '', 'garbage (JS heap bytes allocated per op, GCs while metering):', renderText(garbageTable(suite)));
  }
  return out.join('\n');
}

function formatBytes(n) {
  return n >= 2 ** 30 ? `${+(n / 2 ** 30).toFixed(1)} GiB` : `${+(n / 2 ** 20).toFixed(1)} MiB`;
}

function machineLine(m) {
  const hp = m.hugepages.map((h) => `${h.total} x ${formatBytes(h.pageSize)} hugepages (${h.free} free${h.mountPoint ? `, ${h.mountPoint}` : ', not mounted'})`);
  return [
    `${m.cpu}, ${m.cores} cores, ${formatBytes(m.memoryBytes)}`,
    m.kernel,
    `Node ${m.node} (V8 ${m.v8})`,
    `transparent hugepages: ${m.transparentHugepages ?? 'unknown'}`,
    ...hp,
    `load ${m.loadAverage1m} before the run`,
    m.commit ? `commit ${m.commit}` : null,
  ]
    .filter(Boolean)
    .join('; ');
}

/**
 * The "Node A vs B" section of RESULTS.md, from results/nodes.json (see
 * lib/nodes.mjs): every suite run on each Node in one session.
 */
export function nodesMarkdown(nodes) {
  if (!nodes || Object.keys(nodes.suites).length === 0) return [];
  const names = nodes.nodes.map((n) => n.major);
  const out = [
    `## Node ${names.join(' vs ')}`,
    '',
    '<!-- Generated by bench/run.mjs --node ' + names.join(',') + ' from bench/results/nodes.json. -->',
    '',
    `The same suites on ${nodes.nodes.map((n) => `Node ${n.version} (V8 ${n.v8})`).join(' and ')}, one after the other in one session ` +
      `(\`pnpm bench --node ${names.join(',')} <suite>...\`, suite by suite, each Node in turn), last ${nodes.date}. ` +
      `"${names.slice(1).map((m) => `${m} vs ${names[0]}`).join('", "')}" is rtemem on that Node against rtemem on Node ${names[0]}: > 1 means faster there. ` +
      '"vs best peer" is rtemem against its strongest peer on that Node, as in the tables above (> 1: rtemem wins).',
    '',
  ];
  for (const [name, s] of Object.entries(nodes.suites)) {
    out.push(`### ${name}: ${s.title}`, '', `Measured ${s.date}, ${s.reps} repetitions.`, '', renderMarkdown(nodesTable(nodes.nodes, s)), '');
  }
  return out;
}

/** What `pnpm bench --node A,B` prints for one suite. */
export function nodesText(nodes, name) {
  return renderText(nodesTable(nodes.nodes, nodes.suites[name]));
}

/**
 * bench/RESULTS.md from a results document (and, when given, the Node
 * comparison of results/nodes.json). `chart` is the chart's path relative
 * to RESULTS.md.
 */
export function resultsMarkdown(doc, { chart = 'results/chart.svg', nodes = null } = {}) {
  const out = [
    '# rtemem benchmark results',
    '',
    '<!-- Generated by bench/run.mjs from bench/results/latest.json: do not edit by hand. -->',
    '',
    'Run them with `pnpm bench` (every suite) or `pnpm bench <suite>...`; see [README.md](README.md).',
    '',
  ];
  if (doc.machine) out.push(`Last run: ${doc.machine.date}. Machine: ${machineLine(doc.machine)}.`, '');
  out.push(RATIO_NOTE, '', `![ns per op, rtemem against its peers (log scale)](${chart})`, '');
  for (const s of Object.values(doc.suites)) {
    out.push(`## ${s.name}: ${s.title}`, '');
    const same = doc.machine && s.machine && s.machine.cpu === doc.machine.cpu && s.machine.node === doc.machine.node;
    out.push(`Measured ${s.date}, ${s.reps} repetitions${same ? '' : ` on ${machineLine(s.machine)}`}.`, '');
    if (s.note) out.push(s.note, '');
    for (const sk of s.skipped) out.push(`- skipped \`${sk.backend}\`: ${sk.reason}`);
    if (s.skipped.length > 0) out.push('');
    if (s.rows.length === 0) {
      out.push('No figures.', '');
      continue;
    }
    out.push(renderMarkdown(timingTable(s)), '', 'Garbage: JS heap bytes allocated per op and GCs over the metered ops.', '', renderMarkdown(garbageTable(s)), '');
    const notes = s.rows.filter((r) => r.note).map((r) => `- *${r.case}*: ${r.note}`);
    const unique = [...new Set(notes)];
    if (unique.length > 0) out.push(...unique, '');
  }
  out.push(...nodesMarkdown(nodes));
  return `${out.join('\n').trimEnd()}\n`;
}
