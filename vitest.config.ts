import { defineConfig } from 'vitest/config';
import { alias, testOptions } from './vitest.shared.js';

export default defineConfig({
  resolve: { alias },
  test: {
    ...testOptions,
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
