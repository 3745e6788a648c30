/**
 * A copy of `factory` compiled on its own, for one benchmark case.
 *
 * Closures made from one function literal share V8's type feedback: the same
 * loop measured on an MP/MC ring after an SP/SC one (or on an uncached pool
 * after a cached one) would run code compiled for both, where a user's loop
 * sees one. `factory` must use nothing from its module's scope: it gets what
 * it needs as arguments.
 */
export function ownCopy(factory) {
  return new Function(`return (${factory.toString()});`)();
}
