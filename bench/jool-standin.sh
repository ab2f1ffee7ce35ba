#!/bin/sh
# A `jool` stand-in for the benchmark: answers the exporter's calls by `cat`ing
# the generated tables, so the exporter reads real bytes from a real pipe.
# The directory is read from the file named by $BENCH_JOOL_POINTER at every
# call, so the benchmark can switch table sizes between two polls.
dir=$(cat "$BENCH_JOOL_POINTER")
proto=tcp
for arg in "$@"; do
  case "$arg" in
    --tcp) proto=tcp ;; --udp) proto=udp ;; --icmp) proto=icmp ;;
  esac
done
case "$*" in
  --version) echo 4.1.9.0 ;;
  *"session display"*) exec cat "$dir/session-$proto.csv" ;;
  *"pool4 display"*) exec cat "$dir/pool4-$proto.csv" ;;
  *"stats display"*) exec cat "$dir/stats.csv" ;;
  *) echo "jool-standin: unexpected call: $*" >&2; exit 1 ;;
esac
