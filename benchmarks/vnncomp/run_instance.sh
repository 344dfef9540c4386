#!/usr/bin/env bash
# VNN-COMP tool interface (v1): run_instance.sh v1 CATEGORY ONNX VNNLIB RESULTS TIMEOUT
# Writes the VNN-COMP result file (unsat / sat with the counterexample / unknown / timeout) through `certify verify`.
set -euo pipefail
[ "${1:-}" = v1 ] || { echo "expected version v1, got ${1:-nothing}" >&2; exit 1; }
[ $# -eq 6 ] || { echo "usage: run_instance.sh v1 CATEGORY ONNX VNNLIB RESULTS TIMEOUT" >&2; exit 1; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec "$root/certify" verify "$3" "$4" --results "$5" --timeout "$6"
