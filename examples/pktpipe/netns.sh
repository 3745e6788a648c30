#!/usr/bin/env bash
# A place to try `pnpm demo --port` on real interfaces, as root, that touches
# nothing outside it: three network namespaces and two veth pairs,
#
#   rtemem-a: a0 10.9.0.1/24 ── r0 [rtemem-r: the demo] r1 ── b0 10.9.1.1/24 :rtemem-b
#
# The hosts route the other subnet through the router (its MACs are the
# demo's port MACs 02:00:00:00:00:0N, entered by hand: no ARP), and the
# router's next hops are the demo's defaults (02:00:00:00:01:0N), so
#
#   sudo examples/pktpipe/netns.sh up
#   sudo ip netns exec rtemem-r npx pnpm@10 demo --ports r0,r1 --route 10.9.0.0/24=0 --route 10.9.1.0/24=1
#   sudo ip netns exec rtemem-a ping 10.9.1.1          (another terminal: ttl=63, through the demo)
#   sudo examples/pktpipe/netns.sh down
set -euo pipefail
R=rtemem-r A=rtemem-a B=rtemem-b

down() {
  for ns in $R $A $B; do ip netns del "$ns" 2>/dev/null || true; done
}

up() {
  down
  for ns in $R $A $B; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip link add r0 netns $R address 02:00:00:00:00:00 type veth peer name a0 netns $A address 02:00:00:00:01:00
  ip link add r1 netns $R address 02:00:00:00:00:01 type veth peer name b0 netns $B address 02:00:00:00:01:01
  # No IPv6 on the links: the kernel then sends nothing of its own on them.
  for pair in "$R r0" "$R r1" "$A a0" "$B b0"; do
    set -- $pair
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
    ip -n "$1" link set "$2" up
  done
  ip -n $A addr add 10.9.0.1/24 dev a0
  ip -n $B addr add 10.9.1.1/24 dev b0
  ip -n $A neigh add 10.9.0.254 lladdr 02:00:00:00:00:00 dev a0 nud permanent
  ip -n $B neigh add 10.9.1.254 lladdr 02:00:00:00:00:01 dev b0 nud permanent
  ip -n $A route add 10.9.1.0/24 via 10.9.0.254
  ip -n $B route add 10.9.0.0/24 via 10.9.1.254
  echo "up: $A (a0 10.9.0.1) -- r0 [$R] r1 -- (b0 10.9.1.1) $B"
  echo "now: sudo ip netns exec $R npx pnpm@10 demo --ports r0,r1 --route 10.9.0.0/24=0 --route 10.9.1.0/24=1"
  echo " and: sudo ip netns exec $A ping 10.9.1.1"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up | down  (as root)" >&2; exit 2 ;;
esac
