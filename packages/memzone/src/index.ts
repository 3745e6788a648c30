/**
 * @rtemem/memzone
 *
 * @packageDocumentation
 */
export {};
