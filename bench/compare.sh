#!/usr/bin/env bash
# bench/compare.sh: is this tree slower than another revision?
#
#   bench/compare.sh [--pairs N] [--points FILE] [--gate RATIO] [--skip-missing]
#                    [--bench PATH] BASE
#   bench/compare.sh [options] --base-bench PATH
#
# Builds BASE (any git revision) in a temporary git worktree, keeps only its
# sirnn-bench (build/out/compare/base-SHA/, reused next time) and removes the
# worktree. Then runs the two benches alternately, new then base, point after
# point, N times (N pairs, at least 5): each run is one sirnn-bench process
# with both parties in it. On a shared, noisy machine the two runs of a pair
# see nearly the same load, so their ratio is far steadier than either time.
#
# Per point it prints the median of the N pair ratios new/base and a
# distribution-free confidence interval for that median: the k-th smallest
# and k-th largest pair ratio, with k the largest whose coverage
# 1 - 2 P(Binomial(N, 1/2) < k) is at least 95% ([min, max] when N is too
# small for 95%; its coverage is printed). It also says how noisy the run
# was: how much each build's time varied between repetitions, and how wide
# the intervals came out.
#
# --gate RATIO fails (exit 1) when a point's whole interval lies above RATIO,
# a slowdown that noise cannot explain. SIRNN_BENCH_SLOW (a planted slowdown,
# bench/bench_slow.c) reaches only the new build, so it can prove the gate.
# --skip-missing: if BASE cannot be found (a shallow clone), say so and exit 0.
# --bench PATH: the new build's bench (default build/out/bin/sirnn-bench).
# --base-bench PATH: an already built base bench instead of a revision (with
# the new bench itself, an A/A run: what noise alone looks like).
# Exit: 0 no gated slowdown, 1 gated slowdown, 2 usage or build error.
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=9
points=bench/compare/ci.points
gate=
skip_missing=0
base=
base_bench=
out=build/out/compare
new_bench=build/out/bin/sirnn-bench

die() { echo "bench-compare: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs=${2:?}; shift 2 ;;
    --points) points=${2:?}; shift 2 ;;
    --gate) gate=${2:?}; shift 2 ;;
    --skip-missing) skip_missing=1; shift ;;
    --bench) new_bench=${2:?}; shift 2 ;;
    --base-bench) base_bench=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$base" ] || die "one BASE revision, got '$base' and '$1'"; base=$1; shift ;;
  esac
done
[ -n "$base" ] || [ -n "$base_bench" ] || die "usage: bench/compare.sh [--pairs N] [--points FILE] [--gate RATIO] BASE"
[ -z "$base" ] || [ -z "$base_bench" ] || die "give a BASE revision or --base-bench, not both"
case "$pairs" in ''|*[!0-9]*) die "--pairs wants a number" ;; esac
[ "$pairs" -ge 5 ] || die "--pairs must be at least 5 (got $pairs)"
[ -z "$gate" ] || awk -v g="$gate" 'BEGIN { exit !(g + 0 > 1) }' || die "--gate wants a ratio > 1"
[ -r "$points" ] || die "cannot read the point list $points"
[ -x "$new_bench" ] || die "$new_bench is not built (make all)"

new_label="$(git rev-parse --short HEAD)"
git diff --quiet HEAD -- 2>/dev/null || new_label="$new_label+changes"
mkdir -p "$out"

# The base revision; a shallow clone may lack it until deepened.
resolve() { git rev-parse --verify -q "$base^{commit}" 2>/dev/null; }
if [ -n "$base_bench" ]; then
  [ -x "$base_bench" ] || die "$base_bench is not an executable"
  base_short="$base_bench"
  base="an already built bench"
elif ! base_sha=$(resolve); then
  if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
    echo "bench-compare: $base is not in this shallow clone; fetching one more commit" >&2
    git fetch --quiet --deepen=1 2>/dev/null || true
  fi
  if ! base_sha=$(resolve); then
    if [ "$skip_missing" = 1 ]; then
      echo "bench-compare: SKIPPED: revision '$base' is not in this clone (a one-commit or shallow clone"
      echo "  that could not be deepened); nothing to compare against."
      exit 0
    fi
    die "cannot resolve revision '$base'"
  fi
fi

# Build the base's bench once per commit.
src=
cleanup() {
  if [ -n "$src" ]; then
    git worktree remove --force "$src" >/dev/null 2>&1 || rm -rf "$src"
    git worktree prune >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
if [ -z "$base_bench" ]; then
  base_short=$(git rev-parse --short "$base_sha")
  base_bench="$out/base-$base_sha/sirnn-bench"
fi
if [ ! -x "$base_bench" ]; then
  src=$(mktemp -d "${TMPDIR:-/tmp}/sirnn-base-$base_short.XXXXXX")
  log="$out/base-$base_sha.build.log"
  echo "bench-compare: building $base_short's sirnn-bench in $src (log: $log)" >&2
  git worktree add --quiet --detach "$src" "$base_sha"
  if ! (cd "$src" && env -u WERROR -u SIRNN_BENCH_SLOW make -j2 build/out/bin/sirnn-bench) \
      > "$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "building $base_short failed"
  fi
  mkdir -p "$(dirname "$base_bench")"
  cp "$src/build/out/bin/sirnn-bench" "$base_bench"
  cleanup
  src=
fi

mapfile -t pts < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d' "$points")
[ ${#pts[@]} -gt 0 ] || die "no points in $points"

# One run: "ns<TAB>bits<TAB>rounds" of its JSON line, or "fail".
run_one() {
  local line
  if line=$("$@" 2>/dev/null | tail -n 1) && [ -n "$line" ]; then
    sed -E 's/.*"ns_per_op":([0-9.e+-]+).*"bits_per_op":([0-9.e+-]+),"rounds":([0-9.e+-]+).*/\1\t\2\t\3/' \
      <<< "$line"
  else
    echo fail
  fi
}

raw="$out/last.tsv"
: > "$raw"
declare -A base_missing=()
t0=$(date +%s)
echo "bench-compare: new = $new_label (working tree), base = $base_short ($base);" \
     "$pairs pairs, ${#pts[@]} points from $points" >&2
printf '  pairs done:' >&2
for ((pair = 1; pair <= pairs; pair++)); do
  for j in "${!pts[@]}"; do
    read -ra args <<< "${pts[j]}"
    r=$(run_one "$new_bench" "${args[@]}")
    [ "$r" != fail ] || die "the new build failed on: sirnn-bench ${pts[j]}"
    printf '%d\tnew\t%d\t%s\n' "$j" "$pair" "$r" >> "$raw"
    [ -z "${base_missing[$j]:-}" ] || continue
    r=$(run_one env -u SIRNN_BENCH_SLOW "$base_bench" "${args[@]}")
    if [ "$r" = fail ]; then
      base_missing[$j]=1 # a point the base cannot run (a kernel or parameter it lacks)
      continue
    fi
    printf '%d\tbase\t%d\t%s\n' "$j" "$pair" "$r" >> "$raw"
  done
  printf ' %d' "$pair" >&2
done
echo >&2
secs=$(( $(date +%s) - t0 ))

printf '%s\n' "${pts[@]}" | awk -F'\t' -v pairs="$pairs" -v gate="$gate" -v secs="$secs" \
  -v new_label="$new_label" -v base_label="$base_short" '
function sort(a, n,    i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function median(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function ord_k(m,    k, c, cum, best) {
  # largest k with 1 - 2 P(Bin(m, 1/2) <= k - 1) >= 0.95; 1 if none
  best = 1; c = 1; cum = 0
  for (k = 1; 2 * k <= m; k++) {
    cum += c / 2 ^ m            # P(Bin <= k - 1), c = C(m, k - 1)
    if (1 - 2 * cum >= 0.95) best = k
    c = c * (m - k + 1) / k
  }
  return best
}
function coverage(m, k,    j, c, cum) { c = 1; cum = 0; for (j = 0; j < k; j++) { cum += c / 2 ^ m; c = c * (m - j) / (j + 1) } return 1 - 2 * cum }
function fmt_ns(x) { return x >= 1e6 ? sprintf("%.1f ms", x / 1e6) : x >= 1e3 ? sprintf("%.2f us", x / 1e3) : x >= 10 ? sprintf("%.1f ns", x) : sprintf("%.3f ns", x) }
NR == FNR { label[NR - 1] = $0; npts = NR; next }
{ key = $1 SUBSEP $3; if ($2 == "new") { nw[key] = $4; nbits[$1] = $5; nrounds[$1] = $6 } else { bs[key] = $4; bbits[$1] = $5; brounds[$1] = $6 } }
END {
  printf "time new/base per point: new = %s, base = %s; %d pairs run alternately (new, base), %d s\n", new_label, base_label, pairs, secs
  printf "interval: distribution-free CI of the median pair ratio (order statistics of the pair ratios)\n"
  if (gate != "") printf "gate: FAIL when a whole interval lies above %.2fx\n", gate
  printf "\n%-44s %11s %11s %8s %17s %7s  %s\n", "point (sirnn-bench arguments)", "base", "new", "new/base", "interval", "spread", "verdict"
  failed = 0; nnoise = 0
  for (p = 0; p < npts; p++) {
    m = 0; nb = 0; nn = 0
    for (i = 1; i <= pairs; i++) {
      key = p SUBSEP i
      if (key in nw) nt[++nn] = nw[key]
      if ((key in nw) && (key in bs) && bs[key] > 0) { r[++m] = nw[key] / bs[key]; bt[++nb] = bs[key] }
    }
    lab = label[p]; if (length(lab) > 44) lab = substr(lab, 1, 41) "..."
    if (m < pairs) { printf "%-44s %11s %11s %8s %17s %7s  %s\n", lab, "-", fmt_ns_n(nt, nn), "-", "-", "-", "not in base: skipped"; continue }
    sort(r, m); sort(bt, nb); sort(nt, nn)
    med = median(r, m); k = ord_k(m); lo = r[k]; hi = r[m + 1 - k]; cov = coverage(m, k)
    spread = (hi - lo) / 2 / med
    vb = (bt[nb] - bt[1]) / median(bt, nb); vn = (nt[nn] - nt[1]) / median(nt, nn)
    spreads[++nnoise] = spread; varb[nnoise] = vb; varn[nnoise] = vn
    if (gate != "" && lo > gate) { verdict = "SLOWER: FAIL (whole interval above " sprintf("%.2f", gate) "x)"; failed++ }
    else if (lo > 1) verdict = "slower"
    else if (hi < 1) verdict = "faster"
    else verdict = "no clear change"
    if (nbits[p] != bbits[p] || nrounds[p] != brounds[p]) verdict = verdict sprintf("; bits %g -> %g, rounds %g -> %g", bbits[p], nbits[p], brounds[p], nrounds[p])
    printf "%-44s %11s %11s %7.3fx  [%6.3f, %6.3f] %6.1f%%  %s\n", lab, fmt_ns(median(bt, nb)), fmt_ns(median(nt, nn)), med, lo, hi, 100 * spread, verdict
  }
  if (nnoise > 0) {
    sort(spreads, nnoise); sort(varb, nnoise); sort(varn, nnoise)
    s = median(spreads, nnoise)
    word = s < 0.05 ? "quiet" : s < 0.15 ? "noisy" : "very noisy"
    printf "\ninterval coverage %.1f%% (k = %d of %d pairs from each end); spread = half the interval width / median\n", 100 * coverage(pairs, ord_k(pairs)), ord_k(pairs), pairs
    printf "noise: %s run: a time varied between its repetitions by %.0f%% (base) / %.0f%% (new) for the median point (max %.0f%% / %.0f%%);\n", word, 100 * median(varb, nnoise), 100 * median(varn, nnoise), 100 * varb[nnoise], 100 * varn[nnoise]
    printf "       the pair ratios spread +-%.1f%% around their median for the median point (widest +-%.1f%%)\n", 100 * s, 100 * spreads[nnoise]
  }
  if (gate != "") printf "\nbench-compare gate: %d of %d points clearly slower than %.2fx: %s\n", failed, nnoise, gate, failed ? "FAIL" : "ok"
  exit failed ? 1 : 0
}
function fmt_ns_n(a, n) { if (n == 0) return "-"; sort(a, n); return fmt_ns(median(a, n)) }
' - "$raw"
