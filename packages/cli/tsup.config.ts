import { defineConfig } from 'tsup';

export default defineConfig({
  // src/cli.ts starts with `#!/usr/bin/env node`: esbuild keeps it and tsup
  // makes dist/cli.js executable (the package's bin).
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  shims: true,
  // As in the other packages: readable names and whitespace, folded constants.
  minifySyntax: true,
});
