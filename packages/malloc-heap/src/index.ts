/**
 * @rtemem/malloc-heap
 *
 * @packageDocumentation
 */
export {};
