/**
 * @rtemem/mbuf
 *
 * @packageDocumentation
 */
export {};
