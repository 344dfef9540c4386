#!/usr/bin/env bash
# Fault drill for `certify run` and the VNN-COMP scripts: interrupts, kills, full disks, read-only folders and
# concurrent writers, each followed by the check that no finished row is lost, none is duplicated, no half line
# survives, and every failure is one line with a documented exit code. Writes its table to fault-drill.md beside it.
#
#   benchmarks/reliability/fault-drill.sh [BENCH]      (BENCH: the third-party benchmarks, default ../shared/bench)
#
# The drills use 8 small instances of BENCH/sets/labelled.csv (test_vnncomp, tllverifybench: well under a second to
# a few seconds each) with one slow ACAS Xu instance (3_3 prop_2, limited to 8 s; no tool decides it that fast on two
# cores) third, so that an interruption after the second row always lands mid-row. Outcomes never depend on how fast
# the machine is: the drill waits for rows to appear on disk, not for a number of seconds.
# Needs root for the tmpfs drills (mount); without it those rows say "skipped".
set -uo pipefail
# Job control: without it bash starts background commands with SIGINT ignored, and a signal the process inherits as
# ignored never reaches it (.NET keeps it ignored), so the SIGINT drills would test nothing.
set -m
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bench="${1:-$root/../shared/bench}"
[ -f "$bench/sets/labelled.csv" ] || { echo "fault-drill: $bench/sets/labelled.csv not found (give the benchmark folder)" >&2; exit 2; }
bench="$(cd "$bench" && pwd)"
certify="$root/certify"
work="$(mktemp -d "${TMPDIR:-/tmp}/certify-fault-drill-XXXXXX")"
mounts=()
cleanup() {
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

"$certify" version >/dev/null || { echo "fault-drill: cannot build or run $certify" >&2; exit 2; }
dll="$root/src/Certify.Cli/bin/Release/net10.0/certify.dll"
# dotnet itself, not through ./certify, so that a background run's $! is the process that gets the signal.
run() { dotnet "$dll" run "$@"; }

# The list: labelled.csv's header, the slow instance third.
list="$work/list.csv"
{
  head -n 1 "$bench/sets/labelled.csv"
  grep -E '^test_vnncomp,' "$bench/sets/labelled.csv" | head -n 2
  grep -E '^acasxu,acasxu/onnx/ACASXU_run2a_3_3_batch_2000.onnx,acasxu/vnnlib/prop_2.vnnlib,' "$bench/sets/labelled.csv" | sed 's/,116,/,8,/'
  grep -E '^test_vnncomp,' "$bench/sets/labelled.csv" | tail -n +3
  grep -E '^tllverifybench,' "$bench/sets/labelled.csv"
} > "$list"
total=$(( $(wc -l < "$list") - 1 ))
header="family,network,property,result,seconds,label"

rows=()      # markdown table rows
pass=0; fail=0
record() {   # record DRILL EXPECTED OBSERVED OK
  local mark; if [ "$4" = ok ]; then mark="pass"; pass=$((pass + 1)); elif [ "$4" = skip ]; then mark="skipped"; else mark="**FAIL**"; fail=$((fail + 1)); fi
  rows+=("| $1 | $2 | $3 | $mark |")
  printf '%-8s %s: %s\n' "$mark" "$1" "$3" >&2
}

# Rows of a results file: complete rows (6 fields, a result word, a number of seconds), distinct keys, half lines.
complete_rows() { tail -n +2 "$1" | grep -cE '^[^,]+,[^,]+,[^,]+,(sat|unsat|unknown|timeout|error),[0-9]+\.[0-9]+,[a-z]*$'; }
distinct_keys() { tail -n +2 "$1" | cut -d, -f1-3 | sort -u | wc -l; }
all_lines()     { tail -n +2 "$1" | wc -l; }
ends_in_newline() { [ ! -s "$1" ] || [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; }
file_ok() {  # file_ok FILE N: header, N complete rows, N distinct instances, nothing else
  [ "$(head -n 1 "$1")" = "$header" ] && ends_in_newline "$1" && [ "$(complete_rows "$1")" = "$2" ] &&
    [ "$(distinct_keys "$1")" = "$2" ] && [ "$(all_lines "$1")" = "$2" ]
}
wait_rows() { # wait_rows FILE N PID: until FILE has N rows (or PID ended)
  while kill -0 "$3" 2>/dev/null; do
    [ -f "$1" ] && [ "$(( $(wc -l < "$1") - 1 ))" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
one_line() { [ "$(grep -c . "$1")" = 1 ] && ! grep -q '^   at ' "$1"; }
children_of() { pgrep -f "certify-run-$1-" | wc -l; }   # isolated children carry their parent's pid in --results

# --- 1, 2: SIGINT mid-row, in-process and isolated; then --resume -------------------------------------------------
for mode in in-process isolated; do
  out="$work/sigint-$mode.csv"; extra=(); [ "$mode" = isolated ] && extra=(--isolate)
  dotnet "$dll" run "$list" --root "$bench" --out "$out" "${extra[@]}" > "$work/log" 2> "$work/err" & pid=$!
  wait_rows "$out" 2 "$pid"; sleep 1
  kill -INT "$pid"; wait "$pid"; rc=$?
  left=$(children_of "$pid")
  n=$(( $(wc -l < "$out") - 1 ))
  ok=fail; file_ok "$out" 2 && [ "$rc" = 130 ] && [ "$left" = 0 ] && ok=ok
  record "SIGINT mid-row ($mode)" "exit 130, 2 finished rows on disk, no partial row, no child left" \
    "exit $rc, $n row(s), $(complete_rows "$out") complete, $left child process(es) left; \"$(tail -n 1 "$work/err")\"" $ok
  run "$list" --root "$bench" --out "$out" --resume "${extra[@]}" > "$work/log" 2> "$work/err"; rc=$?
  ok=fail; file_ok "$out" "$total" && [ "$rc" = 0 ] && ok=ok
  record "--resume after SIGINT ($mode)" "exit 0, all $total rows once" \
    "exit $rc, $(all_lines "$out") row(s), $(distinct_keys "$out") distinct, $(complete_rows "$out") complete" $ok
done

# --- 3, 4: kill -9 mid-row, in-process and isolated; then --resume ------------------------------------------------
for mode in in-process isolated; do
  out="$work/kill9-$mode.csv"; extra=(); [ "$mode" = isolated ] && extra=(--isolate)
  dotnet "$dll" run "$list" --root "$bench" --out "$out" "${extra[@]}" > "$work/log" 2> "$work/err" & pid=$!
  wait_rows "$out" 2 "$pid"; sleep 1
  kill -KILL "$pid"; wait "$pid" 2>/dev/null; rc=$?
  for _ in $(seq 20); do [ "$(children_of "$pid")" = 0 ] && break; sleep 0.1; done   # the kernel kills them (pdeathsig)
  left=$(children_of "$pid")
  ok=fail; file_ok "$out" 2 && [ "$rc" = 137 ] && [ "$left" = 0 ] && ok=ok
  record "kill -9 mid-row ($mode)" "exit 137, 2 finished rows on disk, no half line, no child left" \
    "exit $rc, $(all_lines "$out") row(s), $(complete_rows "$out") complete; $left child process(es) left" $ok
  pkill -KILL -f "certify-run-$pid-" 2>/dev/null   # only the children of the run this drill killed
  run "$list" --root "$bench" --out "$out" --resume "${extra[@]}" > "$work/log" 2> "$work/err"; rc=$?
  ok=fail; file_ok "$out" "$total" && [ "$rc" = 0 ] && ok=ok
  record "--resume after kill -9 ($mode)" "exit 0, all $total rows once" \
    "exit $rc, $(all_lines "$out") row(s), $(distinct_keys "$out") distinct" $ok
done

# --- 5: a half-written last line (what kill -9 or a full disk leaves in the middle of a write) -----------------------
out="$work/truncated.csv"
cp "$work/kill9-in-process.csv" "$out"
head -n 3 "$out" > "$work/t" && tail -n 1 "$out" | head -c 17 >> "$work/t" && mv "$work/t" "$out"   # 2 rows + half a row
run "$list" --root "$bench" --out "$out" --resume > "$work/log" 2> "$work/err"; rc=$?
ok=fail; file_ok "$out" "$total" && [ "$rc" = 0 ] && grep -q "dropped a truncated last line" "$work/err" && ok=ok
record "--resume over a half line" "the half line dropped with a message, exit 0, all $total rows once" \
  "exit $rc, $(all_lines "$out") row(s), $(distinct_keys "$out") distinct; \"$(grep -o 'dropped a truncated last line [^(]*' "$work/err" | head -n 1)\"" $ok

# --- 6: disk full ----------------------------------------------------------------------------------------------------
run "$list" --root "$bench" --out /dev/full > "$work/log" 2> "$work/err"; rc=$?
ok=fail; [ "$rc" = 2 ] && one_line "$work/err" && ok=ok
record "--out /dev/full" "exit 2, one line, before any instance" "exit $rc: \"$(head -n 1 "$work/err")\"" $ok

if mkdir -p "$work/tiny" && mount -t tmpfs -o size=64k tmpfs "$work/tiny" 2>/dev/null; then
  mounts+=("$work/tiny")
  # tmpfs allocates whole 4 KiB pages, so the file must sit just below a page boundary when the disk fills: a results
  # file of an earlier run (rows of other instances, which a resume keeps) ends 160 bytes short of 4 KiB, the rest of
  # the disk is filled, and the run appends: two rows fit in the slack, the third needs a new page.
  out="$work/tiny/results.csv"
  echo "$header" > "$out"
  i=0; while [ $(( $(stat -c %s "$out") + 37 )) -le $((4096 - 160)) ]; do printf 'other,net%04d,prop,unsat,1.000,unsat\n' $i >> "$out"; i=$((i + 1)); done
  others=$i
  head -c 1M /dev/zero > "$work/tiny/filler" 2>/dev/null
  run "$list" --root "$bench" --out "$out" --resume > "$work/log" 2> "$work/err"; rc=$?
  kept=$(( $(complete_rows "$out") - others ))
  ok=fail; [ "$rc" = 2 ] && one_line "$work/err" && [ "$kept" -ge 1 ] && [ "$kept" -lt "$total" ] && ok=ok
  record "disk fills up mid-run (64 KiB tmpfs)" "exit 2, one line, the rows before kept" \
    "exit $rc, $kept new complete row(s) kept$(ends_in_newline "$out" || echo ', a half line at the end'): \"$(head -n 1 "$work/err")\"" $ok
  rm -f "$work/tiny/filler"
  run "$list" --root "$bench" --out "$out" --resume > "$work/log" 2> "$work/err"; rc=$?
  ok=fail; file_ok "$out" $((total + others)) && [ "$rc" = 0 ] && ok=ok
  record "--resume after freeing space" "exit 0, all $total rows once (and the $others earlier rows kept)" \
    "exit $rc, $(( $(all_lines "$out") - others )) new row(s), $(( $(distinct_keys "$out") - others )) distinct$(grep -q 'dropped a truncated' "$work/err" && echo '; the half line was dropped with a message')" $ok
else
  record "disk fills up mid-run (64 KiB tmpfs)" "exit 2, one line" "mount -t tmpfs not permitted here" skip
fi

# --- 7: read-only output folder (root ignores chmod, so a read-only mount) --------------------------------------------
mkdir -p "$work/ro"
if mount -t tmpfs -o ro,size=64k tmpfs "$work/ro" 2>/dev/null; then
  mounts+=("$work/ro")
  run "$list" --root "$bench" --out "$work/ro/results.csv" > "$work/log" 2> "$work/err"; rc=$?
  ok=fail; [ "$rc" = 2 ] && one_line "$work/err" && ok=ok
  record "read-only output folder (tmpfs -o ro)" "exit 2, one line, before any instance" "exit $rc: \"$(head -n 1 "$work/err")\"" $ok
else
  record "read-only output folder" "exit 2, one line" "mount not permitted here (as root, chmod does not stop writes)" skip
fi

# --- 8: two runs, one --out ------------------------------------------------------------------------------------------
out="$work/shared.csv"
dotnet "$dll" run "$list" --root "$bench" --out "$out" > "$work/log1" 2> "$work/err1" & first=$!
wait_rows "$out" 1 "$first"
run "$list" --root "$bench" --out "$out" > "$work/log2" 2> "$work/err2"; rc2=$?
wait "$first"; rc1=$?
ok=fail; [ "$rc1" = 0 ] && [ "$rc2" = 2 ] && one_line "$work/err2" && file_ok "$out" "$total" && ok=ok
record "two runs, same --out" "the second refused (exit 2, one line), the first completes intact" \
  "first exit $rc1 with $(all_lines "$out") row(s), $(distinct_keys "$out") distinct; second exit $rc2: \"$(head -n 1 "$work/err2")\"" $ok

# --- 9, 10: VNN-COMP scripts -----------------------------------------------------------------------------------------
vnn="$root/benchmarks/vnncomp"
export CERTIFY_VNNCOMP_STATE="$work/vnncomp-state"
printf '#!/usr/bin/env bash\nkill -SEGV $$\n' > "$work/crash.sh"; chmod +x "$work/crash.sh"
CERTIFY="$work/crash.sh" "$vnn/run_instance.sh" v1 test a.onnx b.vnnlib "$work/crash.result" 10 2> "$work/err"; rc=$?
ok=fail; [ "$(head -n 1 "$work/crash.result" 2>/dev/null)" = error ] && [ "$rc" != 0 ] && ok=ok
record "run_instance.sh, Certify crashes" "a result file saying error, non-zero exit" "exit $rc, result file: '$(head -n 1 "$work/crash.result" 2>/dev/null)'" $ok
printf '#!/usr/bin/env bash\nexec -a "dotnet certify.dll verify (hung)" sleep 300\n' > "$work/hang.sh"; chmod +x "$work/hang.sh"
bash -c 'exec -a "dotnet certify.dll verify (another user s run)" sleep 300' & decoy=$!
CERTIFY="$work/hang.sh" "$vnn/run_instance.sh" v1 test a.onnx b.vnnlib "$work/hang.result" 10 2> /dev/null & hung=$!
while [ ! -s "$CERTIFY_VNNCOMP_STATE/run.pid" ]; do sleep 0.1; done
"$vnn/prepare_instance.sh" v1 test a.onnx b.vnnlib 2> /dev/null
wait "$hung"
decoy_alive=no; kill -0 "$decoy" 2>/dev/null && decoy_alive=yes
ok=fail; [ "$decoy_alive" = yes ] && [ "$(head -n 1 "$work/hang.result" 2>/dev/null)" = error ] && ok=ok
record "prepare_instance.sh with a hung run and another certify" "ends the hung run only (result file: error), the other survives" \
  "other process alive: $decoy_alive; hung run's result file: '$(head -n 1 "$work/hang.result" 2>/dev/null)'" $ok
kill "$decoy" 2>/dev/null

# --- table ---------------------------------------------------------------------------------------------------------
{
  echo "# Fault drill: \`certify run\` and the VNN-COMP scripts"
  echo
  echo "Command: \`benchmarks/reliability/fault-drill.sh\` ($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')), $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "Machine: $(nproc) cores, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Instances: $total from sets/labelled.csv"
  echo "(test_vnncomp, tllverifybench, and ACAS Xu 3_3 prop_2 limited to 8 s as the third, so that every interruption lands mid-row)."
  echo
  echo "| drill | expected | observed | |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "$pass passed, $fail failed."
} > "$here/fault-drill.md"
echo "fault-drill: $pass passed, $fail failed; table in $here/fault-drill.md" >&2
[ "$fail" = 0 ]
