import { defineConfig } from 'vitest/config';
import { alias, testOptions } from '../../vitest.shared.js';

export default defineConfig({ resolve: { alias }, test: { ...testOptions, include: ['test/**/*.test.ts'] } });
