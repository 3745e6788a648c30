import { rtememTsup } from '../../tsup.base';

export default rtememTsup({
  // src/cli.ts starts with `#!/usr/bin/env node`: esbuild keeps it and tsup
  // makes dist/cli.js executable (the package's bin).
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  dts: { entry: { index: 'src/index.ts' } },
});
