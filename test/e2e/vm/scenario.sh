#!/bin/sh
# The NAT64 scenario of the e2e suite: what the exporter is measured against.
# Runs inside the VM (busybox sh) right after the modules are loaded.
#
# Addresses are documentation ranges only (RFC 3849, RFC 5737, RFC 6052).
#
#   netns client6 (IPv6-only hosts)                 netns server4 (IPv4 hosts)
#   2001:db8:1::10 .. ::13, 2001:db8:1:1::10        192.0.2.2    (TCP 7000/7001,
#        |  c6-nat64                                               UDP 7000)
#        |                                          192.0.2.130
#   2001:db8:1::1, 2001:db8:1:1::1 nat64-c6         198.51.100.0/24: black hole
#   [root netns: Jool instance "default",               (packets vanish, nothing
#    pool6 64:ff9b::/96, pool4 192.0.2.1]                answers: TCP stays in
#   192.0.2.1 nat64-s4 ---------------- s4-nat64 192.0.2.2     V6_INIT)
#
#   2001:db8:2::20, ::21 (client6, c6-alt)
#   2001:db8:2::1 alt-c6
#   [netns alt: Jool instance "alt",
#    pool6 2001:db8:64::/96, pool4 192.0.2.129]
#   192.0.2.129 alt-s4 ---------------- s4-alt 192.0.2.130
#
# An IPv6 client reaches the IPv4 host 192.0.2.2 as 64:ff9b::192.0.2.2
# (= 64:ff9b::c000:202) through "default", and 192.0.2.130 as
# 2001:db8:64::192.0.2.130 through "alt". Every connection, datagram flow and
# ping leaves one session in Jool's tables; timeouts are raised to 10 hours
# and nothing sends anything once the scenario is over, so the tables stay
# exactly as they are while the test reads them.
set -eu

# Debian's static busybox runs its own applets before searching PATH, and its
# `ip` applet knows neither netns nor veth: always use iproute2's.
ip() { /sbin/ip "$@"; }

say() { echo "scenario: $*"; }
in_ns() { ns=$1; shift; ip netns exec "$ns" "$@"; }

# --- Namespaces and links --------------------------------------------------
ip netns add client6
ip netns add server4
ip netns add alt

ip link add nat64-c6 type veth peer name c6-nat64 netns client6
ip link add nat64-s4 type veth peer name s4-nat64 netns server4
ip -n alt link add alt-c6 type veth peer name c6-alt netns client6
ip -n alt link add alt-s4 type veth peer name s4-alt netns server4

for ns in client6 server4 alt; do ip -n "$ns" link set lo up; done
ip link set nat64-c6 up
ip link set nat64-s4 up
ip -n client6 link set c6-nat64 up
ip -n client6 link set c6-alt up
ip -n server4 link set s4-nat64 up
ip -n server4 link set s4-alt up
ip -n alt link set alt-c6 up
ip -n alt link set alt-s4 up

# IPv6 side. nodad: usable at once (no duplicate address detection wait).
ip -6 addr add 2001:db8:1::1/64 dev nat64-c6 nodad
for a in 2 10 11 12 13; do
	ip -n client6 -6 addr add 2001:db8:1::$a/64 dev c6-nat64 nodad
done
# A client in a second /64 on the same link: subscribers cut to /64 are then
# two, not one.
ip -6 addr add 2001:db8:1:1::1/64 dev nat64-c6 nodad
ip -n client6 -6 addr add 2001:db8:1:1::10/64 dev c6-nat64 nodad
ip -n alt -6 addr add 2001:db8:2::1/64 dev alt-c6 nodad
for a in 2 20 21; do
	ip -n client6 -6 addr add 2001:db8:2::$a/64 dev c6-alt nodad
done
# The NAT64 prefixes are routed to their translators.
ip -n client6 -6 route add 64:ff9b::/96 via 2001:db8:1::1
ip -n client6 -6 route add 2001:db8:64::/96 via 2001:db8:2::1

# IPv4 side.
ip addr add 192.0.2.1/25 dev nat64-s4
ip -n server4 addr add 192.0.2.2/25 dev s4-nat64
ip -n alt addr add 192.0.2.129/25 dev alt-s4
ip -n server4 addr add 192.0.2.130/25 dev s4-alt
# 198.51.100.0/24 goes to server4, which forwards it into a black hole.
ip route add 198.51.100.0/24 via 192.0.2.2
in_ns server4 sysctl -qw net.ipv4.conf.all.forwarding=1
ip -n server4 route add blackhole 198.51.100.0/24

# Jool's documentation asks for forwarding on the translator.
for ns in "" alt; do
	run=""; [ -n "$ns" ] && run="ip netns exec $ns"
	$run sysctl -qw net.ipv4.conf.all.forwarding=1
	$run sysctl -qw net.ipv6.conf.all.forwarding=1
done

# --- Jool --------------------------------------------------------------------
say "jool $(jool --version)"
# Instance "default" in the root namespace. pool4: 192.0.2.1, ports (and ICMP
# identifiers) 10000-19999, away from Linux' ephemeral ports (32768-60999).
jool instance add default --netfilter --pool6 64:ff9b::/96
for proto in --tcp --udp --icmp; do
	jool -i default pool4 add $proto 192.0.2.1 10000-19999
done
# Instance "alt" in namespace alt: reached with `ip netns exec alt jool ...`
# (a `jool session display` from the root namespace cannot see it: exit 3).
in_ns alt jool instance add alt --netfilter --pool6 2001:db8:64::/96
for proto in --tcp --udp --icmp; do
	in_ns alt jool -i alt pool4 add $proto 192.0.2.129 20000-29999
done
# Timeouts: 10 hours for every kind of session, so that none expires while
# the test runs (defaults: TCP established 2 h, TCP transitory 4 min, UDP
# 5 min, ICMP 1 min).
for t in tcp-est-timeout tcp-trans-timeout udp-timeout icmp-timeout; do
	jool -i default global update $t 10:00:00
	in_ns alt jool -i alt global update $t 10:00:00
done

# --- The IPv4 servers ----------------------------------------------------------
# TCP 7000 holds connections, TCP 7001 half-closes them at once, UDP 7000
# echoes. (See test/e2e/traffic.c.)
# It returns once it listens (and stays in the background).
in_ns server4 traffic server 192.0.2.2 192.0.2.130

# --- Traffic through "default" ----------------------------------------------------
S=64:ff9b::192.0.2.2       # the IPv4 server, as the IPv6 clients see it
HOLE=64:ff9b::198.51.100.7 # nobody answers there
C1=2001:db8:1::10 C2=2001:db8:1::11 C3=2001:db8:1::12 C4=2001:db8:1::13
C5=2001:db8:1:1::10        # the client in the other /64
tcp() { in_ns client6 traffic tcp "$@"; }

# First the static BIB entries, so that no dynamic connection has taken their
# ports yet. An IPv4 SYN to a static BIB entry makes a session in V4_INIT; the
# IPv6 host has no listener there and answers RST, which Jool translates back
# (nc: "Connection refused") and which leaves the session in V4_INIT (only an
# IPv6 SYN would move it to ESTABLISHED).
say "TCP: V4_INIT (IPv4-initiated SYN to a static BIB entry, refused by the IPv6 host)"
jool -i default bib add --tcp $C1#8000 192.0.2.1#18000
in_ns server4 timeout 5 nc 192.0.2.1 18000 </dev/null >/dev/null 2>&1 || true
# An orphan BIB entry outside pool4 (what `pool4 remove --quick` leaves behind;
# Jool refuses a static BIB entry outside pool4, exit 22): a one-port pool4
# entry, a static BIB entry on it, a V4_INIT session through it, then the pool4
# entry removed with --quick, which keeps the BIB entry and its session.
say "TCP: an orphan BIB entry outside pool4 (192.0.2.1#5000), one more V4_INIT session"
jool -i default pool4 add --tcp 192.0.2.1 5000-5000
jool -i default bib add --tcp $C2#8001 192.0.2.1#5000
in_ns server4 timeout 5 nc 192.0.2.1 5000 </dev/null >/dev/null 2>&1 || true
jool -i default pool4 remove --tcp 192.0.2.1 5000-5000 --quick

say "TCP: ESTABLISHED (connections left open)"
tcp $C1 $S 7000 6 hold
tcp $C2 $S 7000 5 hold
tcp $C5 $S 7000 2 hold
say "TCP: V6_FIN_RCV (the IPv6 client half-closed: only its FIN went through)"
tcp $C3 $S 7000 4 shut
say "TCP: V4_FIN_RCV (the IPv4 server half-closed: only its FIN went through)"
tcp $C2 $S 7001 3 wait-fin
say "TCP: V4_FIN_V6_FIN_RCV (both sides sent a FIN)"
tcp $C4 $S 7001 3 both-fin
say "TCP: TRANS (an established connection reset by the IPv6 client)"
tcp $C1 $S 7000 2 rst
say "TCP: V6_INIT (SYNs towards the black hole, never answered)"
tcp $C4 $HOLE 7000 5 syn

# UDP: one socket sending to several destinations = one BIB entry (one
# IPv4 transport address) shared by several sessions.
say "UDP: 4 flows to the echo server, 2 sockets x 3 destination ports into the black hole"
in_ns client6 traffic udp $C1 $S 7000 4 1
in_ns client6 traffic udp $C2 64:ff9b::198.51.100.8 53 2 3

# ICMP: a session per (identifier, destination); the BIB entry per identifier.
say "ICMP: identifiers 100-103 to the server and 100-101 into the black hole from C3; 200 from C1"
in_ns client6 traffic icmp $C3 $S 4 100
in_ns client6 traffic icmp $C3 64:ff9b::198.51.100.9 2 100
in_ns client6 traffic icmp $C1 64:ff9b::198.51.100.9 1 200

# --- Traffic through "alt" ----------------------------------------------------------
A=2001:db8:64::192.0.2.130
say "alt: TCP 3 ESTABLISHED + 1 V6_FIN_RCV, UDP 3, ICMP 1"
in_ns client6 traffic tcp 2001:db8:2::20 $A 7000 3 hold
in_ns client6 traffic tcp 2001:db8:2::21 $A 7000 1 shut
in_ns client6 traffic udp 2001:db8:2::20 $A 7000 2 1
in_ns client6 traffic udp 2001:db8:2::21 $A 7000 1 1
in_ns client6 traffic icmp 2001:db8:2::20 $A 1 300

# --- Wait until the tables stop changing -------------------------------------------
# Last FINs and echo replies may still be in flight: compare two dumps (without
# the "Expires in" column, which moves with time) until they are equal.
snapshot() {
	for p in --tcp --udp --icmp; do
		jool -i default session display $p --csv --numeric --no-headers
		in_ns alt jool -i alt session display $p --csv --numeric --no-headers
	done | cut -d, -f1-9,11 | sort
}
prev=$(snapshot); i=0
while :; do
	sleep 0.5
	cur=$(snapshot)
	[ "$cur" = "$prev" ] && break
	prev=$cur; i=$((i + 1))
	[ $i -lt 40 ] || { say "tables keep changing"; exit 1; }
done

say "session tables of instance default:"
for p in --tcp --udp --icmp; do
	n=$(jool -i default session display $p --csv --numeric --no-headers | wc -l)
	say "  ${p#--}: $n sessions"
done
jool -i default session display --tcp --csv --numeric --no-headers | cut -d, -f11 | sort | uniq -c |
	while read -r n state; do say "    $state: $n"; done
for p in --tcp --udp --icmp; do
	n=$(in_ns alt jool -i alt session display $p --csv --numeric --no-headers | wc -l)
	say "  alt ${p#--}: $n sessions"
done
