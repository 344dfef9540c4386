#!/usr/bin/env bash
# `run --jobs 2` against `run --jobs 1` on a 40-instance list (issue 15, part 6). For a quiet machine: it measures
# wall-clock time, so nothing else should run meanwhile.
#   benchmarks/verification/jobs.sh [SOURCE_LIST]
# SOURCE_LIST (default benchmarks/verification/labelled-quarter-noacas.csv, paths from the bench root) is thinned to 40
# instances spread over the whole list (every k-th row), written to benchmarks/verification/jobs-40.csv.
# Environment: BENCH, the bench root (default ../shared/bench); MAX_TIMEOUT, seconds per instance (default 10); JOBS,
# the parallel run's worker count (default 2).
# Writes jobs-1-results.csv, jobs-N-results.csv and jobs.md (the table) beside this script, and prints the table.
# Verdicts may differ where an instance ends near its limit (a worker has cores/N libtorch threads): the table counts
# such rows; a sat/unsat contradiction between the runs, or with a label, is a bug.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
bench=${BENCH:-../shared/bench}
src=${1:-benchmarks/verification/labelled-quarter-noacas.csv}
timeout=${MAX_TIMEOUT:-10}
jobs=${JOBS:-2}
list="$here/jobs-40.csv"
rows=$(($(wc -l < "$src") - 1))
step=$(( rows / 40 )); [ "$step" -ge 1 ] || step=1
awk -v step="$step" 'NR == 1 { print; next } (NR - 2) % step == 0 && n < 40 { print; n++ }' "$src" > "$list"
echo "jobs: $(($(wc -l < "$list") - 1)) instances from $src (every ${step}th), --max-timeout $timeout, $(nproc) cores" >&2
./certify --version >/dev/null   # build first, outside the timing

declare -A wall
for j in 1 "$jobs"; do
  out="$here/jobs-$j-results.csv"
  start=$(date +%s.%N)
  ./certify run "$list" --root "$bench" --max-timeout "$timeout" --jobs "$j" --out "$out" >&2 || [ $? -eq 1 ]
  wall[$j]=$(printf %.1f "$(echo "$(date +%s.%N) - $start" | bc)")
done

count() { awk -F, -v w="$2" 'NR > 1 && $4 ~ w { n++ } END { print n + 0 }' "$1"; }
one="$here/jobs-1-results.csv"; par="$here/jobs-$jobs-results.csv"
differ=$(paste -d, <(cut -d, -f1-4 "$one") <(cut -d, -f1-4 "$par") | awk -F, 'NR > 1 && $4 != $8 { n++ } END { print n + 0 }')
contradict=$(paste -d, <(cut -d, -f1-4 "$one") <(cut -d, -f1-4 "$par") | awk -F, 'NR > 1 && (($4 == "sat" && $8 == "unsat") || ($4 == "unsat" && $8 == "sat")) { n++ } END { print n + 0 }')
{
  echo "# run --jobs $jobs against --jobs 1 ($(date -u +%Y-%m-%d), $(nproc) cores, --max-timeout $timeout, $(($(wc -l < "$list") - 1)) instances of $(basename "$src"))"
  echo
  echo "| jobs | wall (s) | unsat | sat | unknown/timeout | error |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for j in 1 "$jobs"; do
    f="$here/jobs-$j-results.csv"
    echo "| $j | ${wall[$j]} | $(count "$f" '^unsat$') | $(count "$f" '^sat$') | $(count "$f" '^(unknown|timeout)$') | $(count "$f" '^error$') |"
  done
  echo
  echo "Rows whose verdict differs between the runs: $differ (sat against unsat: $contradict, must be 0)."
} | tee "$here/jobs.md"
