#!/usr/bin/env bash
# Builds jool-session-exporter_<version>_<arch>.deb in the repository root, offline, from a
# checkout where `npm ci` has run (npm run package):
#
#   1. the TypeScript build (the man page reads its flag table) and the esbuild bundle: ONE
#      CommonJS file, dist/bundle/jool-session-exporter.cjs (the Docker image runs the same file);
#   2. a Node.js single executable application: a stripped copy of the node running this script,
#      with the bundle injected by postject (Node 20's SEA recipe), so the package needs no nodejs;
#   3. the package tree, with the files of deploy/systemd/ and packaging/debian/;
#   4. dpkg-deb, then lintian (errors and unexplained warnings fail the build).
#
# Needs: node >= 20, dpkg-dev (dpkg-shlibdeps), binutils (strip), lintian. See docs/packaging.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

node=$(node -p process.execPath)
version=$(node -p "require('./package.json').version")
arch=$(dpkg --print-architecture)
name=jool-session-exporter
deb="$root/${name}_${version}_${arch}.deb"
work="$root/dist/deb"
tree="$work/tree"
started=$(date +%s)

echo "== bundle (esbuild) and man page"
npm run --silent build
rm -rf "$work"
mkdir -p "$work" "$tree"

echo "== single executable application from $node ($(node --version))"
# No V8 code cache: V8 rejects a cache made under other V8 flags ("Warning: Code cache data
# rejected." on stderr at every start), and the unit runs the executable with
# NODE_OPTIONS=--max-semi-space-size=2 while a run by hand has no flag. Measured, the cache made no
# difference beyond noise: bench/startup.mjs put the executable within 2 % of the bundle on node
# with and without it (`--version` alone: ~35 ms, within the spread of runs).
cat >"$work/sea-config.json" <<EOF
{
  "main": "$root/dist/bundle/$name.cjs",
  "output": "$work/sea-prep.blob",
  "disableExperimentalSEAWarning": true,
  "useCodeCache": false
}
EOF
node --experimental-sea-config "$work/sea-config.json"
cp "$node" "$work/$name"
chmod u+w "$work/$name"
# Strip before injecting (stripping afterwards could drop the injected note); Debian ships
# stripped binaries, and Node's debug info is three quarters of its size.
strip --strip-all "$work/$name"
# postject (LIEF) warns about each of node's many unnamed note sections: noise, not a problem.
"$root/node_modules/.bin/postject" "$work/$name" NODE_SEA_BLOB "$work/sea-prep.blob" \
	--sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 2>&1 | { grep -v -e "^warning: Can't find string offset for section name" -e "Injection done" -e "Start injection" || true; }
# The executable must run on its own, with no node on PATH.
[ "$(env -i "$work/$name" --version)" = "$name $version (Node.js $(node --version))" ]

echo "== package tree"
install -D -m 755 "$work/$name" "$tree/usr/bin/$name"
# Every file of deploy/systemd/ goes in, at the place its kind belongs; an unknown file fails the
# build rather than being left out silently.
for file in deploy/systemd/*; do
	base=$(basename "$file")
	case "$base" in
	*.service) install -D -m 644 "$file" "$tree/usr/lib/systemd/system/$base" ;;
	*.default) install -D -m 644 "$file" "$tree/etc/default/${base%.default}" ;;
	*.sysusers) install -D -m 644 "$file" "$tree/usr/lib/sysusers.d/${base%.sysusers}.conf" ;;
	*.tmpfiles) install -D -m 644 "$file" "$tree/usr/lib/tmpfiles.d/${base%.tmpfiles}.conf" ;;
	"$name"-prepare-jool) install -D -m 755 "$file" "$tree/usr/libexec/$name/prepare-jool" ;;
	*.md | README*) ;; # documentation of the folder, already in docs/
	*)
		echo "build-deb.sh: deploy/systemd/$base: no place for it in the package; add it here" >&2
		exit 1
		;;
	esac
done
doc="$tree/usr/share/doc/$name"
install -d -m 755 "$doc" "$tree/usr/share/man/man1" "$tree/usr/share/lintian/overrides"
node packaging/manpage.mjs "$version" | gzip -9n >"$tree/usr/share/man/man1/$name.1.gz"
install -m 644 packaging/debian/lintian-overrides "$tree/usr/share/lintian/overrides/$name"
# A native package: its changelog is changelog.gz. Dated by the last commit, so that two builds
# of one commit give the same file.
when=$(git log -1 --format=%cD 2>/dev/null || date -R)
{
	echo "$name ($version) unstable; urgency=medium"
	echo
	echo "  * Release $version; see the project's git history."
	echo
	echo " -- jool-session-exporter developers <dev@jool-session-exporter.invalid>  $when"
} | gzip -9n >"$doc/changelog.gz"
chmod 644 "$doc/changelog.gz" "$tree/usr/share/man/man1/$name.1.gz"
node packaging/copyright.mjs "$node" >"$doc/copyright"
chmod 644 "$doc/copyright"

echo "== control files"
install -d -m 755 "$tree/DEBIAN"
for script in postinst prerm postrm; do install -m 755 "packaging/debian/$script" "$tree/DEBIAN/$script"; done
install -m 644 packaging/debian/conffiles "$tree/DEBIAN/conffiles"
# Shared libraries of the executable (node's: libc, libstdc++, libgcc), as dpkg-shlibdeps finds them.
mkdir -p "$work/shlibs/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" >"$work/shlibs/debian/control"
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O -e"$tree/usr/bin/$name" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
depends="$shlibs, adduser"
# prepare-jool gives the jool copy its file capability with setcap.
if [ -f "$tree/usr/libexec/$name/prepare-jool" ] && grep -q setcap "$tree/usr/libexec/$name/prepare-jool"; then
	depends="$depends, libcap2-bin"
fi
installed_size=$(du -sk --exclude=DEBIAN "$tree" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" \
	-e "s/@INSTALLED_SIZE@/$installed_size/" packaging/debian/control.in >"$tree/DEBIAN/control"
chmod 644 "$tree/DEBIAN/control"
(cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$tree/DEBIAN/md5sums"
chmod 644 "$tree/DEBIAN/md5sums"

echo "== dpkg-deb"
rm -f "$deb"
dpkg-deb --root-owner-group -Zxz --build "$tree" "$deb" >/dev/null

echo "== lintian"
lintian --fail-on error,warning --suppress-tags-from-file /dev/null "$deb"

echo "built $(basename "$deb"): $(du -k "$deb" | cut -f1) KiB, $(stat -c %s "$tree/usr/bin/$name") bytes executable, in $(($(date +%s) - started))s"
