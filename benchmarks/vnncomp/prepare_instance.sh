#!/usr/bin/env bash
# VNN-COMP tool interface (v1): prepare_instance.sh v1 CATEGORY ONNX VNNLIB
# Certify needs no per-instance preparation beyond making sure that no earlier run of *this* tool is still going.
# It ends only the process group that run_instance.sh recorded in its pid file (it once ran
# `pkill -f "certify.dll verify"`, which killed every user's Certify on the machine).
set -euo pipefail
[ "${1:-}" = v1 ] || { echo "expected version v1, got ${1:-nothing}" >&2; exit 2; }
[ $# -eq 4 ] || { echo "usage: prepare_instance.sh v1 CATEGORY ONNX VNNLIB" >&2; exit 2; }
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -f "$pidfile" ] || exit 0
pgid="$(cat "$pidfile" 2>/dev/null || true)"
rm -f "$pidfile"
[[ "$pgid" =~ ^[0-9]+$ ]] || exit 0
# The group must still be ours: its leader's pid may have been reused since, by anything.
members="$(ps -eo pid=,pgid=,args= | awk -v g="$pgid" '$2 == g' || true)"
if [ -n "$members" ] && grep -q "certify" <<<"$members"; then
  echo "prepare_instance.sh: ending the earlier run (process group $pgid)" >&2
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- "-$pgid" 2>/dev/null || exit 0; sleep 0.5; done
  kill -KILL -- "-$pgid" 2>/dev/null || true
fi
exit 0
