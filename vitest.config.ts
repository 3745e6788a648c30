import { defineConfig } from 'vitest/config';
import { alias, testOptions } from './vitest.shared.js';

export default defineConfig({
  resolve: { alias },
  test: {
    ...testOptions,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    // Every ring, mempool and mbuf test (stress, kill and secondary-process
    // ones too) runs on both ring implementations: the JS ring (@rtemem/ring)
    // and the WebAssembly one (@rtemem/ring-wasm), picked by RTEMEM_RING_IMPL.
    projects: [
      {
        extends: true,
        test: {
          name: 'js-ring',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
          env: { RTEMEM_RING_IMPL: 'js' },
        },
      },
      {
        extends: true,
        test: {
          name: 'wasm-ring',
          include: ['packages/{ring,ring-wasm,mempool,mbuf,reliability}/test/**/*.test.ts'],
          env: { RTEMEM_RING_IMPL: 'wasm' },
        },
      },
    ],
  },
});
