#!/bin/busybox sh
# PID 1 of the e2e VM (the initramfs' /init; busybox sh).
#
#  1. mounts the pseudo file systems,
#  2. loads the kernel modules in dependency order (insmod: there is no
#     modprobe database in this initramfs; build-image.sh wrote the order),
#  3. brings up the command channel: eth0 on QEMU's user-mode network
#     (restrict=on: the VM reaches nothing outside; the host reaches only the
#     forwarded port) and vm-agent listening on it,
#  4. runs /scenario.sh (namespaces, Jool instances, traffic) and records its
#     outcome in /run/scenario.status ("ok" or "failed"), which the host polls
#     through the channel,
#  5. stays alive (PID 1 must never exit) until the host runs `poweroff -f`.
export PATH=/usr/local/bin:/sbin:/usr/sbin:/bin:/usr/bin
export HOME=/root

# Debian's static busybox runs its own applets before searching PATH, and its
# `ip` applet knows neither netns nor veth: always use iproute2's.
ip() { /sbin/ip "$@"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp

say() { echo "e2e-init: $*"; }
fail() {
	say "FAILED: $*"
	echo failed >/run/scenario.status
}

# Kernel command line: e2e.port=N (the agent's port inside the VM).
port=7777
for arg in $(cat /proc/cmdline); do
	case $arg in e2e.port=*) port=${arg#e2e.port=} ;; esac
done

kver=$(uname -r)
say "kernel $kver; loading modules"
t0=$(cut -d' ' -f1 /proc/uptime)
for m in $(cat /lib/modules/"$kver"/load-order); do
	insmod /lib/modules/"$kver"/"$m".ko || fail "insmod $m"
done
say "modules loaded ($(cut -d' ' -f1 /proc/uptime)s since boot; started at ${t0}s)"

# The command channel. 203.0.113.0/24 (TEST-NET-3) is QEMU's user-mode
# network here (-nic user,net=203.0.113.0/24); the guest is .15.
ip link set lo up
ip link set eth0 up
ip addr add 203.0.113.15/24 dev eth0
vm-agent "$port" &
say "vm-agent started on port $port"

set -o pipefail
if sh /scenario.sh 2>&1 | tee /run/scenario.log; then
	[ -e /run/scenario.status ] || echo ok >/run/scenario.status
else
	fail "scenario.sh (see /run/scenario.log)"
fi
say "scenario $(cat /run/scenario.status) at $(cut -d' ' -f1 /proc/uptime)s since boot"
echo "E2E-SCENARIO-DONE $(cat /run/scenario.status)"

while :; do
	sleep 3600
done
