import { rtememTsup } from '../../tsup.base';

// lcore-worker is the entry of a worker lcore's thread (launch.ts starts it
// by path): built beside index.js, sharing its chunks, with no types of its own.
export default rtememTsup({ entry: ['src/index.ts', 'src/lcore-worker.ts'], dts: { entry: 'src/index.ts' } });
