#!/bin/sh
# A stand-in for the jool binary: answers like Jool 4.1.9 did in the captures
# under test/fixtures/jool-4.1.9, or misbehaves on request. Used by the process
# tests; the real binary under a real kernel is covered by the e2e suite.
#
#   FAKE_JOOL_MODE       real (default) | nomodule | hang | garbage | mixed | fail-after-rows | killed | slow
#                        | exit-N (exit status N) | endless (valid rows without end) | half-hang (rows, then hang)
#                        | truncated (the table cut mid-row, exit 0)
#   FAKE_JOOL_MODE_FILE  if set and not empty, its content overrides FAKE_JOOL_MODE
#   FAKE_JOOL_VERSION    what --version prints (default: the captured 4.1.9.0)
#   FAKE_JOOL_LOG        append each argv here, one call per line
#   FAKE_JOOL_SCALE      repeat the captured rows this many times (big tables)
#   FAKE_JOOL_NETNS      the network namespace this "jool" runs in (unset: the root one).
#                        The capture's instances: default and empty in the root namespace,
#                        alt in namespace "alt" (it answers with default's tables).
#   FAKE_JOOL_INSTANCES_FILE  if set, replaces the capture's `instance display` rows (discovery tests)
set -u
fixtures="$(dirname "$0")/../fixtures/jool-4.1.9"
mode="${FAKE_JOOL_MODE:-real}"
if [ -n "${FAKE_JOOL_MODE_FILE:-}" ] && [ -s "$FAKE_JOOL_MODE_FILE" ]; then mode="$(cat "$FAKE_JOOL_MODE_FILE")"; fi
[ -n "${FAKE_JOOL_LOG:-}" ] && echo "${FAKE_JOOL_NETNS:+[$FAKE_JOOL_NETNS] }$*" >> "$FAKE_JOOL_LOG"

if [ "${1:-}" = "--version" ]; then
  if [ -n "${FAKE_JOOL_VERSION:-}" ]; then echo "$FAKE_JOOL_VERSION"; else cat "$fixtures/version.txt"; fi
  exit 0
fi

case "$mode" in
  nomodule) cat "$fixtures/error-no-module.csv.stderr" >&2; exit 253 ;;
  hang) sleep 3600; exit 0 ;;
  garbage) printf 'this is not\x00 a session table\n%s\n' "$(seq 1 50)"; exit 0 ;;
  killed) head -c 3000 "$fixtures/session-udp-noheaders.csv"; kill -9 $$ ;;
  exit-*) echo "Error: fake jool told to fail with ${mode#exit-}" >&2; exit "${mode#exit-}" ;;
esac

# Parse what the exporter asks for: Jool 4 `[-i NAME] MODE display --PROTO ...` or Jool 3 `--MODE --display --PROTO ...`.
instance=default; what=session; proto=tcp; numeric=no; headers=yes; jool3=no; all=no
while [ $# -gt 0 ]; do
  case "$1" in
    -i) instance="$2"; shift ;;
    --session) jool3=yes; what=session ;;
    --pool4) jool3=yes; what=pool4 ;;
    session|pool4|stats|instance|global) what="$1" ;;
    display|--display|--csv) ;;
    --tcp) proto=tcp ;; --udp) proto=udp ;; --icmp) proto=icmp ;;
    --numeric) numeric=yes ;;
    --no-headers) headers=no ;;
    --all) all=yes ;;
    *) echo "display: unrecognized option '$1'" >&2; exit 64 ;;
  esac
  shift
done

# Which instances live in the namespace this jool runs in.
case "${FAKE_JOOL_NETNS:-}/$instance" in
  /default|/empty|alt/alt) ;;
  *) [ "$what" = instance ] || {
       [ "$what" = stats ] && [ "$headers" = yes ] && echo "Stat,Value"
       [ "$what" = session ] && [ "$headers" = yes ] && head -n 1 "$fixtures/session-tcp.csv"
       echo "Error: The kernel module returned error 3: This namespace lacks an instance named '$instance'." >&2; exit 3; } ;;
esac
[ "$instance" = alt ] && instance=default

case "$what" in
  instance)
    if [ -n "${FAKE_JOOL_INSTANCES_FILE:-}" ]; then cat "$FAKE_JOOL_INSTANCES_FILE"; else tail -n +2 "$fixtures/instance.csv"; fi
    exit 0 ;;
  global) cat "$fixtures/global.csv"; exit 0 ;;
  stats)
    [ "$all" = yes ] || { echo "fake jool: stats without --all" >&2; exit 64; }
    file="$fixtures/stats-all-noheaders.csv"; [ "$instance" = empty ] && file="$fixtures/empty-stats-all.csv"
    grep -v '^Stat,' "$file"; exit 0 ;;
  pool4)
    if [ "$jool3" = yes ]; then
      # Jool 3: every protocol in one call, five columns (3.5 and earlier print no iterations).
      echo "Mark,Protocol,Address,Min port,Max port"
      for p in tcp udp icmp; do tail -n +2 "$fixtures/pool4-$p.csv" | cut -d, -f1-5; done
    elif [ "$instance" = empty ]; then
      [ "$headers" = yes ] && head -n 1 "$fixtures/empty-pool4-tcp.csv"
    else
      if [ "$headers" = yes ]; then cat "$fixtures/pool4-$proto.csv"; else tail -n +2 "$fixtures/pool4-$proto.csv"; fi
    fi
    exit 0 ;;
esac

if [ "$numeric" != yes ]; then echo "fake jool: called without --numeric (would do reverse DNS)" >&2; exit 64; fi
header() { [ "$headers" = yes ] && head -n 1 "$fixtures/session-tcp.csv"; }
rows() {
  if [ "$jool3" = yes ]; then
    # Jool 3's expiry: HH:MM:SS.m, milliseconds not padded (.044 -> .44, .000 -> .0).
    sed -e 's/,\([0-9]\):\([0-9][0-9]\):\([0-9][0-9]\)\(,\|$\)/,0\1:\2:\3.0\4/' \
        -e 's/,\([0-9]\):/,0\1:/' -e 's/\.0*\([0-9][0-9]*\)\(,\|$\)/.\1\2/' "$fixtures/session-$proto-noheaders.csv"
  else
    cat "$fixtures/session-$proto-noheaders.csv"
  fi
}

header
[ "$instance" = empty ] && exit 0
case "$mode" in
  real) i=0; while [ "$i" -lt "${FAKE_JOOL_SCALE:-1}" ]; do rows; i=$((i + 1)); done ;;
  slow) rows | head -n 100; sleep "${FAKE_JOOL_SLOW_SECONDS:-1}"; rows | tail -n +101 ;;
  # Three broken rows: a bad protocol column, a bad expiry, a bad last column (State for TCP, expiry otherwise).
  mixed) rows | sed -e '3s/^/garbage,/' -e '5s/,[0-9]*:[0-9][0-9]:[0-9][0-9][.0-9]*/,later/' -e '7s/[^,]*$/NOT_A_STATE/' ;;
  fail-after-rows) rows | head -n 10; echo "Error: something broke midway" >&2; exit 1 ;;
  endless) while :; do rows; done ;;
  half-hang) rows | head -n 100; exec sleep 3600 ;;
  truncated) rows | head -c 3000; exit 0 ;;
  *) echo "fake jool: unknown FAKE_JOOL_MODE $mode" >&2; exit 99 ;;
esac
