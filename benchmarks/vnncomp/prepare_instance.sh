#!/usr/bin/env bash
# VNN-COMP tool interface (v1): prepare_instance.sh v1 CATEGORY ONNX VNNLIB
# Certify needs no per-instance preparation beyond making sure no earlier run is still going.
set -euo pipefail
[ "${1:-}" = v1 ] || { echo "expected version v1, got ${1:-nothing}" >&2; exit 1; }
[ $# -eq 4 ] || { echo "usage: prepare_instance.sh v1 CATEGORY ONNX VNNLIB" >&2; exit 1; }
pkill -f "certify.dll verify" 2>/dev/null || true
exit 0
