/**
 * @rtemem/ring
 *
 * @packageDocumentation
 */
export {};
