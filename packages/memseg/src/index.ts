/**
 * @rtemem/memseg
 *
 * @packageDocumentation
 */
export {};
