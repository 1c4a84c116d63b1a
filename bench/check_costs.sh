#!/usr/bin/env bash
# bench/check_costs.sh [BASELINE [TABLE]]: the cost figures quoted in the
# public headers (listed in bench/header_costs.tsv) must equal the bits that
# bench/baseline.json pins for the same point. Exit 1 on any mismatch, on a
# figure whose text is gone or ambiguous, or on a point the baseline lacks or
# cannot tell apart. Needs no build: it reads text only.
set -euo pipefail
cd "$(dirname "$0")/.."
baseline=${1:-bench/baseline.json}
table=${2:-bench/header_costs.tsv}
awk -F'\t' -v baseline="$baseline" '
# The text of a header with comment markers and line breaks as single spaces.
function header_text(path,    line, t) {
  if (path in texts) return texts[path]
  t = ""
  while ((getline line < path) > 0) {
    sub(/^[ \t]*\/?\*+\/?/, "", line)
    t = t " " line
  }
  close(path)
  gsub(/[ \t]+/, " ", t)
  return texts[path] = t
}
# Baseline points: bl[i, key] = value, nbl of them.
function load_baseline(    line, rest, k, v) {
  while ((getline line < baseline) > 0) {
    if (line !~ /"kernel"/) continue
    nbl++
    rest = line
    while (match(rest, /"[A-Za-z0-9_]+":("[^"]*"|[-0-9.e+]+)/)) {
      k = substr(rest, RSTART + 1, RLENGTH - 1); v = k
      sub(/".*/, "", k); sub(/^[^"]*":/, "", v); gsub(/"/, "", v)
      bl[nbl, k] = v; has[nbl, k] = 1
      rest = substr(rest, RSTART + RLENGTH)
    }
  }
  close(baseline)
  if (nbl == 0) { print "check_costs: no points in " baseline > "/dev/stderr"; exit 2 }
}
# The one baseline point a selector names ("kernel k=v ..."; k= means absent;
# a selector without ot_k or backend names the library default, one
# without n= the large-n point).
function find_point(sel,    w, nw, i, j, k, v, ok, found, hit) {
  nw = split(sel, w, " ")
  found = 0
  for (i = 1; i <= nbl; i++) {
    if (bl[i, "kernel"] != w[1]) continue
    ok = 1
    if (sel !~ / ot_k=/ && has[i, "ot_k"]) ok = 0
    if (sel !~ / backend=/ && has[i, "backend"]) ok = 0
    # points at n = 1 pin flights, not the amortised bits a header quotes
    if (sel !~ / n=/ && has[i, "n"] && bl[i, "n"] == 1) ok = 0
    for (j = 2; j <= nw && ok; j++) {
      k = w[j]; v = k; sub(/=.*/, "", k); sub(/^[^=]*=/, "", v)
      if (v == "") { if (has[i, k]) ok = 0 }
      else if (!has[i, k] || bl[i, k] + 0 != v + 0) ok = 0
    }
    if (ok) { found++; hit = i }
  }
  nfound = found
  return found == 1 ? hit : 0
}
BEGIN { load_baseline() }
/^#/ || NF == 0 { next }
NF != 5 { printf "check_costs: %s:%d: want 5 tab-separated columns\n", FILENAME, FNR; bad++; next }
{
  file = $1; ctx = $2; nth = $3 + 0; unit = $4; sel = $5; checked++
  t = header_text(file)
  pos = index(t, ctx)
  if (pos == 0) { printf "%s: the text \"%s\" is gone (update bench/header_costs.tsv)\n", file, ctx; bad++; next }
  if (index(substr(t, pos + 1), ctx)) { printf "%s: the text \"%s\" is ambiguous (appears twice)\n", file, ctx; bad++; next }
  rest = substr(t, pos + length(ctx))
  for (i = 1; i <= nth; i++) {
    if (!match(rest, /[0-9][0-9,]*(\.[0-9]+)?/)) break
    num = substr(rest, RSTART, RLENGTH); rest = substr(rest, RSTART + RLENGTH)
  }
  if (i <= nth) { printf "%s: no number %d after \"%s\"\n", file, nth, ctx; bad++; next }
  sub(/,+$/, "", num); quoted = num; gsub(/,/, "", num)
  p = find_point(sel)
  if (p == 0) { printf "%s: the baseline point \"%s\" matches %d points of %s, not one\n", file, sel, nfound, baseline; bad++; next }
  bits = bl[p, "bits_per_op"] + 0
  if (unit == "MB") {
    dec = index(num, ".") ? length(num) - index(num, ".") : 0
    want = bits / 8e6; ok = (num - want) ^ 2 <= (0.5 * 10 ^ -dec) ^ 2 + 1e-12
    wanted = sprintf("%." dec "f MB", want)
  } else {
    ok = (num - bits) ^ 2 <= 2.5e-7; wanted = sprintf("%d bits", bits)
  }
  if (!ok) { printf "%s: \"%s ... %s\" but %s pins %s for %s\n", file, ctx, quoted, baseline, wanted, sel; bad++ }
}
END { printf "check_costs: %d header figures, %d wrong\n", checked, bad; exit bad ? 1 : 0 }
' "$table"
