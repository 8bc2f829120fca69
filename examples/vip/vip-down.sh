#!/bin/sh
# Takes the Virtual IP down on this host (Duet, SPEC S6.1): the script application named by a server's
# sip-vip-script-down, run by the host's LCA when the server becomes backup, or by the other host's server
# through this host's LCA (control-remote-vip-scripts) when it becomes primary without this one.
#
#   vip-down.sh VIP/PREFIX INTERFACE      e.g. vip-down.sh 192.0.2.100/24 eth0
#
# Idempotent: a VIP that is not on INTERFACE is fine (exit 0).
# Exit codes: 0 the VIP is not on INTERFACE; 2 usage; 3 `ip` (iproute2) not found; 4 `ip addr del` failed.
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
[ -x "$IP" ] || { echo "vip-down: ip (iproute2) not found" >&2; exit 3; }

if [ -z "$("$IP" -o addr show dev "$dev" to "$vip/$host_len" 2>/dev/null)" ]; then
  echo "vip-down: $vip not on $dev"
  exit 0
fi
"$IP" addr del "$cidr" dev "$dev" || { echo "vip-down: could not remove $cidr from $dev" >&2; exit 4; }
echo "vip-down: removed $cidr from $dev"
exit 0
