#!/bin/sh
# A stand-in for the jool binary: answers like Jool 4.1.9 did in the captures
# under test/fixtures/jool-4.1.9, or misbehaves on request. Used by the process
# tests; the real binary under a real kernel is covered by the e2e suite.
#
#   FAKE_JOOL_MODE     real (default) | nomodule | hang | garbage | mixed | fail-after-rows | killed | slow
#   FAKE_JOOL_MODE_FILE  if set and not empty, its content overrides FAKE_JOOL_MODE
#   FAKE_JOOL_VERSION  what --version prints (default: the captured 4.1.9.0)
#   FAKE_JOOL_LOG      append each argv here, one call per line
#   FAKE_JOOL_SCALE    repeat the captured rows this many times (big tables)
set -u
fixtures="$(dirname "$0")/../fixtures/jool-4.1.9"
mode="${FAKE_JOOL_MODE:-real}"
# A mode file lets a test change the behaviour between polls of one exporter.
if [ -n "${FAKE_JOOL_MODE_FILE:-}" ] && [ -s "$FAKE_JOOL_MODE_FILE" ]; then mode="$(cat "$FAKE_JOOL_MODE_FILE")"; fi
[ -n "${FAKE_JOOL_LOG:-}" ] && echo "$*" >> "$FAKE_JOOL_LOG"

if [ "${1:-}" = "--version" ]; then
  if [ -n "${FAKE_JOOL_VERSION:-}" ]; then echo "$FAKE_JOOL_VERSION"; else cat "$fixtures/version.txt"; fi
  exit 0
fi

case "$mode" in
  nomodule) cat "$fixtures/error-no-module.csv.stderr" >&2; exit 253 ;;
  hang) sleep 3600; exit 0 ;;
  garbage) printf 'this is not\x00 a session table\n%s\n' "$(seq 1 50)"; exit 0 ;;
  killed) head -c 3000 "$fixtures/session-udp-noheaders.csv"; kill -9 $$ ;;
esac

# Parse what the exporter asks for: Jool 4 `[-i NAME] session display --PROTO ...` or Jool 3 `--session --display --PROTO ...`.
instance=default; proto=tcp; numeric=no; headers=yes; jool3=no
while [ $# -gt 0 ]; do
  case "$1" in
    -i) instance="$2"; shift ;;
    --session) jool3=yes ;;
    session|display|--display|--csv) ;;
    --tcp) proto=tcp ;; --udp) proto=udp ;; --icmp) proto=icmp ;;
    --numeric) numeric=yes ;;
    --no-headers) headers=no ;;
    *) echo "display: unrecognized option '$1'" >&2; exit 64 ;;
  esac
  shift
done
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

case "$instance" in
  default) ;;
  empty) header; exit 0 ;;
  *) header; echo "Error: The kernel module returned error 3: This namespace lacks an instance named '$instance'." >&2; exit 3 ;;
esac

header
case "$mode" in
  real) i=0; while [ "$i" -lt "${FAKE_JOOL_SCALE:-1}" ]; do rows; i=$((i + 1)); done ;;
  slow) rows | head -n 100; sleep "${FAKE_JOOL_SLOW_SECONDS:-1}"; rows | tail -n +101 ;;
  # Three broken rows: a bad protocol column, a bad expiry, a bad last column (State for TCP, expiry otherwise).
  mixed) rows | sed -e '3s/^/garbage,/' -e '5s/,[0-9]*:[0-9][0-9]:[0-9][0-9][.0-9]*/,later/' -e '7s/[^,]*$/NOT_A_STATE/' ;;
  fail-after-rows) rows | head -n 10; echo "Error: something broke midway" >&2; exit 1 ;;
  *) echo "fake jool: unknown FAKE_JOOL_MODE $mode" >&2; exit 99 ;;
esac
