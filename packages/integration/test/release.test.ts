/**
 * Releases with changesets, in a throwaway copy of the work tree (never in
 * the tree itself): each package is versioned on its own, `pnpm changeset
 * version` writes a CHANGELOG.md per released package and bumps exactly the
 * packages it should, and `pnpm -r publish --dry-run` would publish every
 * publishable package and no private one.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, buildAll, publishablePackages, removeTemps, runOk, tempDir, workspacePackages, type PackageJson } from './support.js';

let copy = '';

interface Snapshot {
  dir: string;
  json: PackageJson;
  raw: string;
}

function readPackages(root: string): Snapshot[] {
  return workspacePackages().map((p) => {
    const raw = readFileSync(join(root, 'packages', p.dir, 'package.json'), 'utf8');
    return { dir: p.dir, json: JSON.parse(raw) as PackageJson, raw };
  });
}

function pendingChangesets(root: string): string[] {
  return readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
}

function bump(version: string, kind: 'major' | 'minor' | 'patch'): string {
  const [ma, mi, pa] = version.split('.').map(Number) as [number, number, number];
  if (kind === 'major') return `${ma + 1}.0.0`;
  if (kind === 'minor') return `${ma}.${mi + 1}.0`;
  return `${ma}.${mi}.${pa + 1}`;
}

/** Names of the workspace packages that depend on `name`, directly or through others (workspace: ranges). */
function dependents(all: Snapshot[], name: string): Set<string> {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (out.has(p.json.name)) continue;
      const deps = Object.keys(p.json.dependencies ?? {});
      if (deps.includes(name) || deps.some((d) => out.has(d))) {
        out.add(p.json.name);
        grew = true;
      }
    }
  }
  return out;
}

beforeAll(() => {
  buildAll();
  copy = tempDir('release');
  // The work tree as it is (committed or not), without installs, builds of the addon or generated docs; dist/ comes along.
  runOk('sh', [
    '-c',
    'tar --exclude=node_modules --exclude=.git --exclude=.turbo --exclude=./docs/api --exclude=./packages/eal-hugepage/build ' +
      '--exclude=./packages/eal-hugepage/prebuilds --exclude=./.cache --exclude=./test-results.json -cf - . | tar -xf - -C "$1"',
    'sh',
    copy,
  ], { cwd: ROOT });
  // From the pnpm store the work tree was installed from, no registry; no install scripts (the addon is
  // not needed to version or pack). The store is named: left to itself, pnpm picks a store on the copy's
  // filesystem, an empty one when the temp dir is a tmpfs and the work tree is not.
  const store = runOk('pnpm', ['store', 'path'], { cwd: ROOT }).stdout.trim();
  runOk('pnpm', ['install', '--offline', '--no-frozen-lockfile', '--ignore-scripts', '--store-dir', store], { cwd: copy, timeout: 300_000 });
}, 600_000);

afterAll(() => removeTemps());

describe('changesets in a copy of the repo', () => {
  it('is configured for independent versions, public access, private packages left alone', () => {
    const config = JSON.parse(readFileSync(join(ROOT, '.changeset', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.fixed).toEqual([]);
    expect(config.linked).toEqual([]);
    expect(config.access).toBe('public');
    expect(config.privatePackages).toEqual({ version: false, tag: false });
  });

  it('versions one package on its own: a minor of ring bumps ring, patches its dependents, leaves the layers below alone', () => {
    const before = readPackages(copy);
    const saved = pendingChangesets(copy).map((f) => ({ f, text: readFileSync(join(copy, '.changeset', f), 'utf8') }));
    const changelogsBefore = new Set(before.filter((p) => existsSync(join(copy, 'packages', p.dir, 'CHANGELOG.md'))).map((p) => p.dir));
    try {
      for (const { f } of saved) rmSync(join(copy, '.changeset', f));
      writeFileSync(join(copy, '.changeset', 'only-ring.md'), '---\n"@rtemem/ring": minor\n---\n\nA change to ring only.\n');
      runOk('pnpm', ['changeset', 'version'], { cwd: copy });
      const after = readPackages(copy);
      const deps = dependents(before, '@rtemem/ring');
      for (const b of before) {
        const a = after.find((x) => x.dir === b.dir)!;
        const changelog = join(copy, 'packages', b.dir, 'CHANGELOG.md');
        if (b.json.name === '@rtemem/ring') {
          expect(a.json.version).toBe(bump(b.json.version, 'minor'));
          expect(readFileSync(changelog, 'utf8')).toMatch(/## \d+\.\d+\.\d+\n\n### Minor Changes\n\n- [^\n]*A change to ring only\./);
        } else if (deps.has(b.json.name) && b.json.private !== true) {
          // `workspace:^` no longer covers the new ring: the dependent is released with a patch.
          expect(a.json.version, b.json.name).toBe(bump(b.json.version, 'patch'));
          expect(readFileSync(changelog, 'utf8'), b.json.name).toMatch(/### Patch Changes\n\n[\s\S]*@rtemem\/[\w-]+@\d+\.\d+\.\d+/);
        } else {
          expect(a.raw, `${b.json.name} is not touched`).toBe(b.raw);
          expect(existsSync(changelog) && !changelogsBefore.has(b.dir), `${b.json.name} gets no CHANGELOG`).toBe(false);
        }
      }
      // The layers below ring really were there to be left alone.
      expect(before.filter((b) => b.json.name !== '@rtemem/ring' && !deps.has(b.json.name) && b.json.private !== true).length).toBeGreaterThanOrEqual(4);
      expect(pendingChangesets(copy)).toEqual([]);
    } finally {
      for (const b of before) writeFileSync(join(copy, 'packages', b.dir, 'package.json'), b.raw);
      for (const b of before) {
        const c = join(copy, 'packages', b.dir, 'CHANGELOG.md');
        if (!changelogsBefore.has(b.dir)) rmSync(c, { force: true });
      }
      for (const f of pendingChangesets(copy)) rmSync(join(copy, '.changeset', f));
      for (const { f, text } of saved) writeFileSync(join(copy, '.changeset', f), text);
    }
  });

  it('applies the pending changesets: every publishable package gets a bumped version and a CHANGELOG.md; pnpm -r publish --dry-run publishes them all', () => {
    const before = readPackages(copy);
    const publishable = new Set(publishablePackages().map((p) => p.json.name));
    // The bumps the repo's pending changesets ask for.
    const asked = new Map<string, string>();
    for (const f of pendingChangesets(copy)) {
      const head = readFileSync(join(copy, '.changeset', f), 'utf8').split('---')[1] ?? '';
      for (const m of head.matchAll(/"([^"]+)":\s*(major|minor|patch)/g)) {
        const order = ['patch', 'minor', 'major'];
        const prev = asked.get(m[1]!);
        if (prev === undefined || order.indexOf(m[2]!) > order.indexOf(prev)) asked.set(m[1]!, m[2]!);
      }
    }
    // Plus a patch of every publishable package, so that each one is released (a new package without a changeset of its own too).
    writeFileSync(
      join(copy, '.changeset', 'release-all.md'),
      `---\n${[...publishable].map((n) => `"${n}": patch`).join('\n')}\n---\n\nRelease every package.\n`,
    );
    runOk('pnpm', ['changeset', 'version'], { cwd: copy });
    const after = readPackages(copy);
    const released = new Map<string, string>();
    for (const b of before) {
      const a = after.find((x) => x.dir === b.dir)!;
      if (b.json.private === true) {
        expect(a.raw, `${b.json.name} is private: not versioned`).toBe(b.raw);
        expect(existsSync(join(copy, 'packages', b.dir, 'CHANGELOG.md')), `${b.json.name} is private: no CHANGELOG`).toBe(false);
        continue;
      }
      const kind = (asked.get(b.json.name) ?? 'patch') as 'major' | 'minor' | 'patch';
      expect(a.json.version, b.json.name).toBe(bump(b.json.version, kind));
      const changelog = readFileSync(join(copy, 'packages', b.dir, 'CHANGELOG.md'), 'utf8');
      expect(changelog.startsWith(`# ${b.json.name}\n`), b.json.name).toBe(true);
      expect(changelog).toContain(`## ${a.json.version}\n`);
      expect(changelog).toContain('Release every package.');
      // The workspace protocol stays in the repo; pnpm replaces it when packing.
      for (const [dep, range] of Object.entries(b.json.dependencies ?? {})) {
        if (range.startsWith('workspace:')) expect(a.json.dependencies?.[dep]).toBe(range);
      }
      released.set(b.json.name, a.json.version);
    }
    expect([...released.keys()].sort()).toEqual([...publishable].sort());
    expect(pendingChangesets(copy)).toEqual([]);

    // The addon for this Node only: packaging.test.ts checks the tarball's one binary per Node ABI,
    // and compiling all three here would take this test past its time on a loaded machine.
    const env = { ...process.env, RTEMEM_PREBUILD_NODES: process.versions.node.split('.')[0] };
    const r = runOk('pnpm', ['-r', 'publish', '--dry-run', '--no-git-checks'], { cwd: copy, timeout: 600_000, env });
    const out = r.stdout + r.stderr;
    const publishedLines = [...out.matchAll(/^\+ (@?[^@\s]+)@(\S+)$/gm)].map((m) => `${m[1]}@${m[2]}`).sort();
    expect(publishedLines).toEqual([...released].map(([n, v]) => `${n}@${v}`).sort());
    // What each tarball holds, as npm lists it.
    for (const [name, version] of released) {
      // npm heads each tarball with "📦  name@version", or "package: name@version" where the locale is not UTF-8.
      const start = Math.max(out.indexOf(`📦  ${name}@${version}`), out.indexOf(`package: ${name}@${version}`));
      expect(start, `${name} was packed`).toBeGreaterThanOrEqual(0);
      const end = out.indexOf('Tarball Details', start);
      const contents = out.slice(start, end);
      const snap = before.find((b) => b.json.name === name)!;
      for (const f of ['package.json', 'README.md', 'LICENSE']) expect(contents, `${name} ships ${f}`).toMatch(new RegExp(`\\s${f.replace('.', '\\.')}\\n`));
      if (snap.json.files?.includes('CHANGELOG.md')) expect(contents, `${name} ships its CHANGELOG`).toMatch(/\sCHANGELOG\.md\n/);
      if (name === '@rtemem/eal-hugepage') {
        expect(contents).toMatch(new RegExp(`prebuilds/${process.platform}-${process.arch}/@rtemem\\+eal-hugepage\\.abi${process.versions.modules}\\.node`));
      }
    }
  }, 600_000); // packs every package (eal-hugepage compiles its addon): minutes on a loaded machine
});
