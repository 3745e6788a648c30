/**
 * The API reference (`pnpm docs`: TypeDoc over every publishable package,
 * warnings are errors) and the README examples that the issue asks for.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, buildAll, publishablePackages, removeTemps, run, runOk, tempDir, workspacePackages } from './support.js';

const TYPEDOC = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');

interface Reflection {
  name: string;
  kind: number;
  children?: Reflection[];
}

beforeAll(() => buildAll(), 600_000);
afterAll(() => removeTemps());

describe('TypeDoc', () => {
  it('`pnpm docs` runs TypeDoc with the root typedoc.json: packages strategy, output docs/api (gitignored), warnings are errors', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.docs).toMatch(/(^|&& )typedoc$/);
    const config = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ entryPointStrategy: 'packages', entryPoints: ['packages/*'], out: 'docs/api', treatWarningsAsErrors: true });
    // Private packages are left out, and only they are.
    const privates = workspacePackages().filter((p) => p.json.private === true).map((p) => `packages/${p.dir}`);
    expect([...(config.exclude as string[])].sort()).toEqual(privates.sort());
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8')).toMatch(/^docs\/api\/?$/m);
  });

  it('documents every publishable package, each once, with no warning', () => {
    const out = tempDir('docs');
    const json = join(out, 'api.json');
    const r = run(process.execPath, [TYPEDOC, '--out', join(out, 'html'), '--json', json], { cwd: ROOT, timeout: 300_000 });
    expect(r.status, r.output).toBe(0);
    expect(r.output).not.toMatch(/\[warning\]|\[error\]/);
    const project = JSON.parse(readFileSync(json, 'utf8')) as Reflection;
    const modules = (project.children ?? []).map((c) => c.name).sort();
    expect(modules).toEqual(publishablePackages().map((p) => p.json.name).sort());
    // Each layer documents its own exports; what it re-exports from the layer below is documented there, not again.
    const exported = new Map<string, string>();
    for (const m of project.children ?? []) {
      for (const c of m.children ?? []) {
        expect(exported.get(c.name), `${c.name} documented in ${m.name} and ${exported.get(c.name) ?? ''}`).toBeUndefined();
        exported.set(c.name, m.name);
      }
    }
    expect(exported.get('Ring')).toBe('@rtemem/ring');
    expect(exported.get('Eal')).toBe('@rtemem/eal-hugepage');
    expect(exported.get('Mempool')).toBe('@rtemem/mempool');
  });

  it('fails on a warning with this configuration (a broken {@link})', () => {
    const dir = tempDir('docs-fixture');
    const pkg = join(dir, 'packages', 'bad');
    mkdirSync(join(pkg, 'src'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'bad', version: '1.0.0', type: 'module' }));
    writeFileSync(join(pkg, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', strict: true, noEmit: true }, include: ['src'] }));
    writeFileSync(join(pkg, 'src', 'index.ts'), '/** Mirrors {@link NoSuchThing}. */\nexport const x = 1;\n');
    const config = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'typedoc.json'), JSON.stringify({ ...config, exclude: [], readme: 'none' }));
    const r = run(process.execPath, [TYPEDOC], { cwd: dir, timeout: 120_000 });
    expect(r.output).toMatch(/NoSuchThing/);
    expect(r.status).not.toBe(0);
  });
});

describe('the mempool README', () => {
  it('shows a pool on ring_mp_mc, on stack and on a user-registered driver, and that example runs', () => {
    const readme = readFileSync(join(ROOT, 'packages', 'mempool', 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    const example = blocks.find((b) => b.includes('registerOps('));
    expect(example, 'an example with registerOps').toBeDefined();
    const dist = join(ROOT, 'packages', 'mempool', 'dist', 'index.js');
    const dir = tempDir('mempool-readme');
    const script = join(dir, 'example.mjs');
    writeFileSync(
      script,
      `${example!.replace(/from '@rtemem\/mempool'/g, `from ${JSON.stringify(dist)}`)}\n` +
        'console.log(JSON.stringify([onRing, onStack, onMine].map((mp) => [mp.opsName, mp.size])));\neal.cleanup();\n',
    );
    const r = runOk(process.execPath, [script], { cwd: dir });
    const pools = JSON.parse(r.stdout.trim().split('\n').pop()!) as [string, number][];
    expect(pools.map((p) => p[0])).toEqual(['ring_mp_mc', 'stack', 'my_queue']);
    expect(pools.every((p) => p[1] === 1024)).toBe(true);
  });
});
