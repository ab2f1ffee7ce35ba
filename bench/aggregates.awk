# The exporter's per-table aggregates, computed by mawk from the same CSV, as the
# benchmark's yardstick and correctness check. Jool 4 rows (expiry H:MM:SS[.mmm],
# milliseconds zero-padded), as bench/generate.mjs writes them.
# Prints one "PROTOCOL key value" line per figure.
BEGIN {
  FS = ","
  nb = split("1 5 10 30 60 120 240 300 600 1200 1800 3600 5400 7200", bound, " ")
  for (b = 1; b <= nb; b++) boundMs[b] = bound[b] * 1000
}
# The /56 of a client address: its first 3 groups and the high byte of the 4th, zero-padded.
function sub56(address,    n, i, g, parts, left, right, nl, nr, out, k) {
  if (address in memo) return memo[address]
  n = split(address, parts, "::")
  nl = (parts[1] == "") ? 0 : split(parts[1], left, ":")
  nr = (n < 2 || parts[2] == "") ? 0 : split(parts[2], right, ":")
  for (i = 1; i <= nl; i++) g[i] = left[i]
  for (i = nl + 1; i <= 8 - nr; i++) g[i] = "0"
  for (i = 1; i <= nr; i++) g[8 - nr + i] = right[i]
  out = ""
  for (i = 1; i <= 4; i++) {
    k = tolower(g[i])
    while (length(k) < 4) k = "0" k
    out = out (i < 4 ? k ":" : substr(k, 1, 2))
  }
  memo[address] = out
  return out
}
{
  p = $1
  rows[p]++
  if (p == "TCP") state[p, $11]++
  split($10, t, ":")
  ms = ((t[1] * 60 + t[2]) * 60) * 1000 + int(t[3] * 1000 + 0.5)
  for (b = 1; b <= nb; b++) if (ms <= boundMs[b]) { bucket[p, b]++; break }
  if (!((p, $6, $7) in bib)) { bib[p, $6, $7] = 1; bibs[p]++ }
  if (!((p, $2) in client)) { client[p, $2] = 1; clients[p]++; s = sub56($2); if (!((p, s) in subscriber)) { subscriber[p, s] = 1; subscribers[p]++ } }
}
END {
  for (p in rows) {
    print p, "sessions", rows[p]
    print p, "bibEntries", bibs[p]
    print p, "clients", clients[p]
    print p, "subscribers", subscribers[p]
    cumulative = 0
    for (b = 1; b <= nb; b++) { cumulative += bucket[p, b]; print p, "expiry_le_" bound[b], cumulative }
    if (p == "TCP") {
      n = split("ESTABLISHED V4_INIT V6_INIT V4_FIN_RCV V6_FIN_RCV V4_FIN_V6_FIN_RCV TRANS", names, " ")
      for (i = 1; i <= n; i++) print p, "state_" names[i], state[p, names[i]] + 0
    }
  }
}
