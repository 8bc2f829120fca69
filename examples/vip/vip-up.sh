#!/bin/sh
# Brings the Virtual IP up on this host (Duet, SPEC S6.1): the script application named by a server's
# sip-vip-script-up, run by the host's LCA (no shell; the arguments come from the config).
#
#   vip-up.sh VIP/PREFIX INTERFACE        e.g. vip-up.sh 192.0.2.100/24 eth0
#
# Idempotent: a VIP already on INTERFACE is left as it is (and announced again). Then, for IPv4 and when
# `arping` (iputils) is installed, one gratuitous ARP tells the LAN that the VIP now lives here, so clients
# and switches stop sending to the old host at once.
# Exit codes: 0 the VIP is on INTERFACE; 2 usage; 3 `ip` (iproute2) not found; 4 `ip addr add` failed.
set -u

usage() {
  echo "usage: $0 VIP/PREFIX INTERFACE (e.g. 192.0.2.100/24 eth0)" >&2
  exit 2
}
[ $# -eq 2 ] || usage
cidr=$1
dev=$2
case $cidr in */*) ;; *) usage ;; esac
vip=${cidr%/*}
case $vip in *:*) host_len=128 ;; *) host_len=32 ;; esac

IP=$(command -v ip 2>/dev/null || echo /usr/sbin/ip)
[ -x "$IP" ] || { echo "vip-up: ip (iproute2) not found" >&2; exit 3; }

if [ -n "$("$IP" -o addr show dev "$dev" to "$vip/$host_len" 2>/dev/null)" ]; then
  echo "vip-up: $vip already on $dev"
else
  "$IP" addr add "$cidr" dev "$dev" || { echo "vip-up: could not add $cidr to $dev" >&2; exit 4; }
  echo "vip-up: added $cidr to $dev"
fi

if [ "$host_len" = 32 ] && command -v arping >/dev/null 2>&1; then
  # -U: unsolicited (gratuitous) ARP; the address is up whatever arping says.
  arping -U -c 1 -I "$dev" "$vip" >/dev/null 2>&1 || echo "vip-up: arping failed (the VIP is up)" >&2
fi
exit 0
