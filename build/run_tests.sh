#!/usr/bin/env bash
# build/run_tests.sh JOBS TEST... [-- SERIAL_TEST...]: run the test binaries
# JOBS at a time, each into its own log, then the SERIAL ones alone (tests
# that time the machine); print every log in the order given, then one line
# "test binaries: N passed, M failed". Exit 1 if any failed.
set -uo pipefail
jobs=$1; shift
par=(); ser=(); seen_sep=0
for a in "$@"; do
  if [ "$a" = "--" ]; then seen_sep=1; elif [ $seen_sep = 0 ]; then par+=("$a"); else ser+=("$a"); fi
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/sirnn-tests.XXXXXX")
trap 'rm -rf "$dir"' EXIT
# run JOBS TEST... with log indices starting at $base
run() {
  local n=$1; shift
  local i=$base
  for t in "$@"; do
    printf '%s\n%s\n' "$i" "$t"
    i=$((i + 1))
  done | xargs -r -d '\n' -P "$n" -n 2 sh -c '
    if "$2" > "$0/$1.log" 2>&1; then echo ok > "$0/$1.rc"; else echo fail > "$0/$1.rc"; fi' "$dir"
}
base=0; run "$jobs" "${par[@]+"${par[@]}"}"
base=${#par[@]}; run 1 "${ser[@]+"${ser[@]}"}"
pass=0; fail=0; i=0
for t in "${par[@]+"${par[@]}"}" "${ser[@]+"${ser[@]}"}"; do
  echo "== $t"
  cat "$dir/$i.log" 2>/dev/null
  if [ "$(cat "$dir/$i.rc" 2>/dev/null)" = ok ]; then pass=$((pass + 1)); else echo "FAILED: $t"; fail=$((fail + 1)); fi
  i=$((i + 1))
done
echo "test binaries: $pass passed, $fail failed"
[ "$fail" = 0 ]
