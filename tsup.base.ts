import { type Options, defineConfig } from 'tsup';

/**
 * The build of every @rtemem package: one ES module bundle per entry, with
 * its types. The CommonJS entry (`dist/<entry>.cjs`) is not a second bundle:
 * scripts/cjs-entry.mjs writes it after tsup as a `require()` of the ES module
 * build (Node >= 20.19 / 22.12 load ES modules with require). A separate CJS
 * bundle reached every import from the layer below through the getters of
 * that package's `module.exports` (esbuild's CJS interop), on every call:
 * malloc+free of 64 B took 200 ns through require against 23 ns through
 * import. With one build, `require` and `import` run the same code, and a
 * program that uses both gets one module instance, not two.
 */
export function rtememTsup(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    // Inlines the layout constants (esbuild turns top-level const into var,
    // a load on every use in V8); names and whitespace stay readable.
    minifySyntax: true,
    ...overrides,
  });
}
