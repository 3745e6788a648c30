/**
 * @rtemem/port — DPDK's ethdev burst API on Linux network interfaces:
 * ports whose RX queues receive straight into mbufs and whose TX queues send
 * straight from them, through packet sockets (AF_PACKET), after DPDK's
 * net_af_packet PMD. Queues can be served by any lcore of any thread or
 * secondary process. Re-exports @rtemem/mbuf and the layers below it.
 *
 * @packageDocumentation
 */
export * from '@rtemem/mbuf';
export { Port } from './port.js';
export { MAX_QUEUES, type PortOptions } from './options.js';
export type { PortStats, PortQueueStats } from './stats.js';
export { MAX_PORTS } from './layout.js';
