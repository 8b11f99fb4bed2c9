#!/usr/bin/env bash
# Runs every libFuzzer target in <build-dir>/fuzz for <seconds> each, starting from the seed
# corpus in fuzz/corpus/<name>/. New interesting inputs go to a scratch corpus, not the repo.
# A crash fails the run and leaves the input in <build-dir>/fuzz/crashes/: add it to
# fuzz/corpus/<name>/ with a fix and a regression test.
set -euo pipefail
build=${1:?usage: run-fuzzers.sh <build-dir> <seconds>}
seconds=${2:-60}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shopt -s nullglob
targets=("$build"/fuzz/*_fuzz)
if ((${#targets[@]} == 0)); then
  echo "run-fuzzers: no fuzz targets in $build/fuzz (configure with the 'fuzz' preset)" >&2
  exit 1
fi
mkdir -p "$build/fuzz/crashes"
status=0
for target in "${targets[@]}"; do
  name=$(basename "$target" _fuzz)
  scratch="$build/fuzz/work-$name"
  mkdir -p "$scratch"
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz/crashes/$name-" "$scratch" "$root/fuzz/corpus/$name" \
      > "$build/fuzz/$name.log" 2>&1; then
    echo "fuzz: $name FAILED — see $build/fuzz/$name.log and $build/fuzz/crashes/" >&2
    tail -30 "$build/fuzz/$name.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$build/fuzz/$name.log" | tail -2
  fi
done
exit $status
