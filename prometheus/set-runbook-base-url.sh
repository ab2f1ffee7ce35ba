#!/bin/sh
# Points every alert's runbook_url at another copy of docs/alerting.md (your fork, your wiki):
#   prometheus/set-runbook-base-url.sh https://git.example.net/nat64/jool-session-exporter/blob/main/docs/alerting.md
# The base lives in prometheus/runbook-base-url.txt; the rules and their promtool tests repeat it
# (rule files have no variables), and test/runbook.test.ts checks that they all agree.
set -eu
cd "$(dirname "$0")"
new=${1:?usage: $0 BASE_URL (the runbook page, without #anchor)}
old=$(cat runbook-base-url.txt)
for file in jool-alerts.yml tests/*.yml; do
  sed -i "s|runbook_url: $old#|runbook_url: $new#|" "$file"
done
printf '%s\n' "$new" > runbook-base-url.txt
