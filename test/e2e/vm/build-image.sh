#!/usr/bin/env bash
# Builds what the e2e VM boots, from Debian packages only (installed by
# .ci/e2e-setup):
#
#   test/e2e/.cache/vmlinuz            the Debian kernel that DKMS built Jool for
#   test/e2e/.cache/initramfs.cpio.gz  busybox, jool + its libraries, iproute2's
#                                      ip, the kernel modules, vm-agent, traffic,
#                                      and the scripts init.sh and scenario.sh
#   test/e2e/.cache/image.env          KVER=..., JOOL_VERSION=... (for logs)
#
# The kernel version is not written anywhere: it is the newest kernel for
# which DKMS holds a built jool.ko (/var/lib/dkms/<name>/<ver>/<kver>/...),
# so the suite follows Debian to its next kernel ABI by itself. Its image comes
# from `apt-get download linux-image-<kver>` + `dpkg-deb -x` (not installed:
# no initramfs-tools, no bootloader hooks).
#
# Cache: everything lives under test/e2e/.cache (gitignored). The extracted
# kernel is kept per version; the initramfs is rebuilt only when one of its
# inputs changed (a hash of them is kept in .cache/image.stamp).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
e2e=$(dirname "$here")
cache=${E2E_CACHE:-$e2e/.cache}
mkdir -p "$cache"

log() { echo "build-image: $*" >&2; }

# --- 1. The kernel DKMS built Jool for ------------------------------------
mods=$(ls -d /var/lib/dkms/jool*/*/*/*/module 2>/dev/null | while read -r d; do
  ls "$d"/jool.ko* >/dev/null 2>&1 && echo "$d"
done | sort -V | tail -n1 || true)
if [[ -z "$mods" ]]; then
  echo "build-image: DKMS has no built jool.ko; run .ci/e2e-setup first" >&2
  exit 1
fi
# /var/lib/dkms/NAME/VERSION/KVER/ARCH/module
kver=$(basename "$(dirname "$(dirname "$mods")")")
jool_version=$(basename "$(dirname "$(dirname "$(dirname "$mods")")")")
log "kernel $kver, jool $jool_version ($mods)"

# --- 2. Its image, downloaded and unpacked (cached per kernel version) -----
kdir=$cache/kernel-$kver
if [[ ! -f $kdir/.done ]]; then
  rm -rf "$kdir" && mkdir -p "$kdir"
  hdr_version=$(dpkg-query -W -f='${Version}' "linux-headers-$kver" 2>/dev/null || true)
  log "downloading linux-image-$kver ${hdr_version:+(version $hdr_version)}"
  (
    cd "$kdir"
    # Same Debian version as the headers DKMS built against, if apt has it.
    apt-get -q -o APT::Sandbox::User=root download "linux-image-$kver${hdr_version:+=$hdr_version}" ||
      apt-get -q -o APT::Sandbox::User=root download "linux-image-$kver"
    dpkg-deb -x linux-image-*.deb root
    rm -f linux-image-*.deb
  )
  touch "$kdir/.done"
fi
kroot=$kdir/root
vmlinuz=$kroot/boot/vmlinuz-$kver
[[ -f $vmlinuz ]] || { echo "build-image: no $vmlinuz in the package" >&2; exit 1; }

# --- 3. Decide whether the initramfs is up to date -------------------------
inputs=(
  "$here/build-image.sh" "$here/init.sh" "$here/scenario.sh" "$here/agent.c"
  "$e2e/traffic.c" "$mods"/jool*.ko* "$(command -v jool)" "$(command -v busybox || echo /bin/busybox)"
)
stamp=$( (echo "$kver"; sha256sum "${inputs[@]}") | sha256sum | cut -d' ' -f1)
if [[ -f $cache/image.stamp && $(cat "$cache/image.stamp") == "$stamp" &&
      -f $cache/initramfs.cpio.gz && -f $cache/vmlinuz ]]; then
  log "up to date ($cache/initramfs.cpio.gz)"
  exit 0
fi

# --- 4. Static helpers -----------------------------------------------------
log "compiling vm-agent and traffic (gcc -static)"
gcc -static -O2 -Wall -o "$cache/vm-agent" "$here/agent.c"
gcc -static -O2 -Wall -o "$cache/traffic" "$e2e/traffic.c"

# --- 5. The root file system -----------------------------------------------
root=$cache/rootfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,proc,sys,dev,run,tmp,etc,root,lib/modules}
mkdir -p "$root/var" && ln -s /run "$root/var/run"   # `ip netns` keeps its mounts in /run/netns

# Dynamically linked programs with every library ldd names, at the same paths.
copy_with_libs() { # BINARY DEST_IN_ROOT
  install -D -m 0755 "$1" "$root$2"
  ldd "$1" | grep -o '/[^ ]*' | while read -r lib; do
    [[ -e $root$lib ]] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
}
copy_with_libs "$(command -v jool)" /usr/bin/jool
copy_with_libs /usr/sbin/ip /sbin/ip   # iproute2: `ip netns`, veth, nodad (busybox ip lacks them)

install -m 0755 /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list-full); do
  # Do not shadow the real `ip`.
  [[ -e $root/$applet || -L $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done

install -m 0755 "$cache/vm-agent" "$cache/traffic" "$root/usr/local/bin/"
install -m 0755 "$here/init.sh" "$root/init"
install -m 0755 "$here/scenario.sh" "$root/scenario.sh"

# --- 6. Kernel modules, in dependency order (modinfo's depends:) -----------
kmods=$root/lib/modules/$kver
mkdir -p "$kmods"
order=()
find_module() { # NAME -> path of its .ko[.xz|.zst|.gz]; Jool's come from DKMS
  local n=${1//-/_} f
  for f in "$mods"/"$n".ko*; do [[ -e $f ]] && { echo "$f"; return; }; done
  find "$kroot/lib/modules/$kver/kernel" -name "$n.ko*" -o -name "${n//_/-}.ko*" | head -n1
}
add_module() { # NAME: its dependencies first, then itself
  local n=${1//-/_} f dep
  for m in "${order[@]}"; do [[ $m == "$n" ]] && return; done
  f=$(find_module "$n")
  [[ -n $f ]] || { echo "build-image: module $n not found" >&2; exit 1; }
  for dep in $(modinfo -F depends "$f" | tr ',' ' '); do add_module "$dep"; done
  case $f in
    *.ko.xz) xz -dc "$f" >"$kmods/$n.ko" ;;
    *.ko.zst) zstd -qdc "$f" >"$kmods/$n.ko" ;;
    *.ko.gz) gzip -dc "$f" >"$kmods/$n.ko" ;;
    *) cp "$f" "$kmods/$n.ko" ;;
  esac
  order+=("$n")
}
# e1000: the NIC of the command channel (QEMU's default model on -M pc).
# x_tables, nf_defrag_*: what jool.ko depends on (modinfo finds them anyway).
for m in e1000 veth x_tables nf_defrag_ipv4 nf_defrag_ipv6 jool_common jool; do
  add_module "$m"
done
printf '%s\n' "${order[@]}" >"$kmods/load-order"
log "modules: ${order[*]}"

cat >"$root/etc/e2e-image" <<EOF
KVER=$kver
JOOL_VERSION=$jool_version
EOF
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"

# --- 7. Pack -----------------------------------------------------------------
(cd "$root" && find . | sort | cpio -o -H newc --quiet) | gzip -1 >"$cache/initramfs.cpio.gz.tmp"
mv "$cache/initramfs.cpio.gz.tmp" "$cache/initramfs.cpio.gz"
cp "$vmlinuz" "$cache/vmlinuz"
cp "$root/etc/e2e-image" "$cache/image.env"
echo "$stamp" >"$cache/image.stamp"
log "built $cache/initramfs.cpio.gz ($(du -h "$cache/initramfs.cpio.gz" | cut -f1)) for $kver"
