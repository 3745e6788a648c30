/**
 * What this package shares with @rtemem/ring, compiled in from its source
 * (packages/ring/src/internal.ts; the bundle takes it in, so the published
 * package needs nothing of ring's beyond its public exports): the shared
 * layout, geometry and header, argument checks, the copies between JS
 * arrays and the slots, dump and recovery. One definition for both
 * implementations: a ring made by either is the same ring.
 */
export * from '../../ring/src/internal.js';
