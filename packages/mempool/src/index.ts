/**
 * @rtemem/mempool
 *
 * @packageDocumentation
 */
export {};
