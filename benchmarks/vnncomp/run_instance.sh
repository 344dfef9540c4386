#!/usr/bin/env bash
# VNN-COMP tool interface (v1): run_instance.sh v1 CATEGORY ONNX VNNLIB RESULTS TIMEOUT
# Writes the VNN-COMP result file (unsat / sat with the counterexample / unknown / timeout) through `certify verify`,
# with the settings of configs/<CATEGORY>.yaml (configs/default.yaml when the category has none; see category_config
# in common.sh); TIMEOUT is passed as --timeout, which overrides the file's verifier.timeout.
# A result file is always left: when Certify fails (bad input, a crash, a kill) and wrote none, or wrote an unreadable
# one, the file says `error` (a status the VNN-COMP result format has) and the script exits with Certify's code.
# Certify runs in its own process group, recorded in a pid file, so prepare_instance.sh can end exactly this run.
set -uo pipefail
[ "${1:-}" = v1 ] || { echo "expected version v1, got ${1:-nothing}" >&2; exit 2; }
[ $# -eq 6 ] || { echo "usage: run_instance.sh v1 CATEGORY ONNX VNNLIB RESULTS TIMEOUT" >&2; exit 2; }
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
results="$5"
config="$(category_config "$2")"
echo "run_instance.sh: category '$2': settings from ${config#"$root"/}" >&2
mkdir -p "$state"
rm -f "$results"
# setsid: a new process group whose id is the child's pid (a background job of a script is never a group leader, so
# setsid does not fork and $! is that pid).
setsid "$certify" verify "$3" "$4" --results "$results" --timeout "$6" --config "$config" &
pid=$!
echo "$pid" > "$pidfile"
# A harness that stops this script (SIGTERM, Ctrl-C) stops Certify too, and still gets a result file below.
trap 'kill -TERM -- "-$pid" 2>/dev/null' TERM INT
wait "$pid"; rc=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; rc=$?; done   # wait again after a trapped signal
trap - TERM INT
[ "$(cat "$pidfile" 2>/dev/null)" = "$pid" ] && rm -f "$pidfile"
first="$(head -n 1 "$results" 2>/dev/null | tr -d '[:space:]' || true)"
case "$first" in
  sat|unsat|unknown|timeout|error) ;;
  *)
    echo "run_instance.sh: certify exited with code $rc and wrote ${first:+an unreadable result ('$first')}${first:-no result}; writing 'error' to $results" >&2
    printf 'error\n' > "$results"
    [ "$rc" -eq 0 ] && rc=3
    ;;
esac
exit "$rc"
