// @ts-check
/**
 * The demo's routing setup: four output ports, each with its own MAC and a
 * next-hop neighbour MAC (l3fwd's ports_eth_addr and dest_eth_addr), and a
 * small IPv4 + IPv6 route table with nested prefixes and default routes.
 */
import { RouteTable } from './lpm.mjs';

/** Output ports of the demo. */
export const NB_PORTS = 4;

/** Routes: prefix -> output port. Nested prefixes exercise longest-prefix match. */
export const DEFAULT_ROUTES = Object.freeze([
  { prefix: '0.0.0.0/0', port: 0 },
  { prefix: '10.0.0.0/8', port: 1 },
  { prefix: '10.1.0.0/16', port: 2 },
  { prefix: '10.1.2.0/24', port: 3 },
  { prefix: '10.1.2.128/25', port: 1 },
  { prefix: '172.16.0.0/12', port: 2 },
  { prefix: '192.168.0.0/16', port: 3 },
  { prefix: '192.168.7.7/32', port: 0 },
  { prefix: '::/0', port: 0 },
  { prefix: '2001:db8::/32', port: 1 },
  { prefix: '2001:db8:1::/48', port: 2 },
  { prefix: '2001:db8:1:2::/64', port: 3 },
  { prefix: 'fd00::/8', port: 3 },
  { prefix: 'fe80::/10', port: 2 },
]);

/** @param {number} port */
export function portMac(port) {
  return `02:00:00:00:00:${port.toString(16).padStart(2, '0')}`;
}

/** @param {number} port */
export function neighbourMac(port) {
  return `02:00:00:00:01:${port.toString(16).padStart(2, '0')}`;
}

/** @param {string} mac */
export function macBytes(mac) {
  return mac.split(':').map((h) => parseInt(h, 16));
}

/**
 * The MAC table forward() uses: 12 bytes per port, the neighbour's MAC
 * (the new destination) then the port's own (the new source).
 */
export function macTable(nbPorts = NB_PORTS) {
  const t = new Uint8Array(nbPorts * 12);
  for (let p = 0; p < nbPorts; p++) {
    t.set(macBytes(neighbourMac(p)), p * 12);
    t.set(macBytes(portMac(p)), p * 12 + 6);
  }
  return t;
}

/** The default route table. */
export function defaultRouteTable() {
  const t = new RouteTable();
  for (const r of DEFAULT_ROUTES) t.add(r.prefix, r.port);
  return t;
}

/**
 * The routes of a run on `nbPorts` real ports: the given ones, or the
 * default ones with each port taken modulo the number of ports.
 * @param {{ prefix: string, port: number }[] | null} routes
 * @param {number} nbPorts
 */
export function routesFor(routes, nbPorts) {
  return routes ?? DEFAULT_ROUTES.map((r) => ({ prefix: r.prefix, port: r.port % nbPorts }));
}

/**
 * A route table of `routes`.
 * @param {{ prefix: string, port: number }[]} routes
 */
export function routeTable(routes) {
  const t = new RouteTable();
  for (const r of routes) t.add(r.prefix, r.port);
  return t;
}

/**
 * The MAC table (as macTable) of real ports: each port's own MAC as the
 * source, its next hop's as the destination.
 * @param {string[]} own
 * @param {string[]} next
 */
export function macTableOf(own, next) {
  const t = new Uint8Array(own.length * 12);
  own.forEach((mac, p) => {
    t.set(macBytes(next[p] ?? neighbourMac(p)), p * 12);
    t.set(macBytes(mac), p * 12 + 6);
  });
  return t;
}
