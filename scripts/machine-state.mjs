#!/usr/bin/env node
/**
 * What a test run may change on the machine, and must put back: hugepage
 * counts (per size and per NUMA node), hugetlbfs mounts, files in /dev/shm,
 * in every hugetlbfs mount and in the rtemem runtime dirs, network
 * namespaces and links, and rtemem cgroups.
 *
 *   node scripts/machine-state.mjs snapshot > before.json
 *   node scripts/machine-state.mjs compare before.json   # exit 1 and a list on any difference
 *
 * .ci/run takes a snapshot before the tests and compares after them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function read(path) {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function list(dir) {
  try {
    return readdirSync(dir).sort();
  } catch {
    return null;
  }
}

function hugepages() {
  const out = {};
  const base = '/sys/kernel/mm/hugepages';
  for (const size of list(base) ?? []) {
    for (const f of ['nr_hugepages', 'free_hugepages', 'resv_hugepages', 'surplus_hugepages']) out[`${size}/${f}`] = read(join(base, size, f));
  }
  const nodes = '/sys/devices/system/node';
  for (const node of (list(nodes) ?? []).filter((n) => /^node\d+$/.test(n))) {
    for (const size of list(join(nodes, node, 'hugepages')) ?? []) out[`${node}/${size}/nr_hugepages`] = read(join(nodes, node, 'hugepages', size, 'nr_hugepages'));
  }
  return out;
}

function mounts() {
  return (read('/proc/mounts') ?? '')
    .split('\n')
    .filter((l) => l.split(' ')[2] === 'hugetlbfs')
    .sort();
}

function runtimeDirs() {
  const dirs = ['/var/run/rtemem'];
  for (const name of list('/tmp') ?? []) if (/^rtemem-\d+$/.test(name)) dirs.push(join('/tmp', name));
  if (process.env.XDG_RUNTIME_DIR) dirs.push(join(process.env.XDG_RUNTIME_DIR, 'rtemem'));
  const out = {};
  for (const d of dirs) if (existsSync(d)) out[d] = list(d);
  return out;
}

function command(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

function netns() {
  const text = command('ip', ['netns', 'list']);
  return text === null ? null : text.split('\n').map((l) => l.split(' ')[0]).filter(Boolean).sort();
}

function links() {
  const text = command('ip', ['-o', 'link', 'show']);
  return text === null ? null : text.split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0]).filter(Boolean).sort();
}

function cgroups() {
  const found = [];
  const walk = (dir, depth) => {
    for (const name of list(dir) ?? []) {
      if (/rtemem/.test(name)) found.push(join(dir, name));
      else if (depth > 0 && !name.includes('.')) walk(join(dir, name), depth - 1);
    }
  };
  walk('/sys/fs/cgroup', 2);
  return found.sort();
}

export function snapshot() {
  const hugeFiles = {};
  for (const m of mounts()) {
    const dir = m.split(' ')[1];
    hugeFiles[dir] = list(dir);
  }
  return { hugepages: hugepages(), mounts: mounts(), shm: list('/dev/shm'), hugetlbfsFiles: hugeFiles, runtimeDirs: runtimeDirs(), netns: netns(), links: links(), cgroups: cgroups() };
}

/** The differences between two snapshots, one line each. */
export function differences(before, after) {
  const lines = [];
  const walk = (a, b, path) => {
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (Array.isArray(a) && Array.isArray(b)) {
      const added = b.filter((x) => !a.includes(x));
      const removed = a.filter((x) => !b.includes(x));
      lines.push(`${path}: ${added.length ? `added ${JSON.stringify(added)}` : ''}${added.length && removed.length ? ', ' : ''}${removed.length ? `removed ${JSON.stringify(removed)}` : ''}`);
      return;
    }
    if (a && b && typeof a === 'object' && typeof b === 'object') {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], `${path}.${k}`);
      return;
    }
    lines.push(`${path}: was ${JSON.stringify(a)}, is ${JSON.stringify(b)}`);
  };
  walk(before, after, 'machine');
  return lines;
}

const [cmd, file] = process.argv.slice(2);
if (cmd === 'snapshot') {
  process.stdout.write(`${JSON.stringify(snapshot(), null, 2)}\n`);
} else if (cmd === 'compare') {
  const diff = differences(JSON.parse(readFileSync(file, 'utf8')), snapshot());
  if (diff.length === 0) {
    console.log('machine state: as before the tests');
  } else {
    console.log(`machine state: ${diff.length} difference(s) after the tests:`);
    for (const l of diff) console.log(`  ${l}`);
    process.exit(1);
  }
} else if (cmd !== undefined) {
  console.error('usage: machine-state.mjs snapshot | compare <before.json>');
  process.exit(2);
}
