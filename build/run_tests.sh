#!/usr/bin/env bash
# build/run_tests.sh JOBS TEST...: run the test binaries JOBS at a time, each
# into its own log; print every log in the order given, then one line
# "test binaries: N passed, M failed". Exit 1 if any failed.
set -uo pipefail
jobs=$1; shift
dir=$(mktemp -d "${TMPDIR:-/tmp}/sirnn-tests.XXXXXX")
trap 'rm -rf "$dir"' EXIT
i=0
for t in "$@"; do
  printf '%s\n%s\n' "$i" "$t"
  i=$((i + 1))
done | xargs -r -d '\n' -P "$jobs" -n 2 sh -c '
  if "$2" > "$0/$1.log" 2>&1; then echo ok > "$0/$1.rc"; else echo fail > "$0/$1.rc"; fi' "$dir"
pass=0; fail=0; i=0
for t in "$@"; do
  echo "== $t"
  cat "$dir/$i.log" 2>/dev/null
  if [ "$(cat "$dir/$i.rc" 2>/dev/null)" = ok ]; then pass=$((pass + 1)); else echo "FAILED: $t"; fail=$((fail + 1)); fi
  i=$((i + 1))
done
echo "test binaries: $pass passed, $fail failed"
[ "$fail" = 0 ]
