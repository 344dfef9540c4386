#!/usr/bin/env bash
# The side-by-side comparison of issue 17: Certify, nnenum and alpha-beta-CROWN on the fixed sample (sample.csv,
# made by make_sample.py), interleaved per instance by `certify compare`, one whole process per run, at the official
# time limit capped at 120 s. Run it from anywhere, on a quiet machine (nothing else running: say what else ran).
#
# Usage: benchmarks/verification/peers/run.sh [OUT_DIR] [more `certify compare` options, e.g. --resume, --family F, --limit N]
# Environment: PEERS_DIR (the peers built by ../shared/peers/setup.sh; see README.md here), TIMEOUT_CAP (default 120),
#              LIST (default sample.csv here), TOOLS (default "certify nnenum abcrown").
# Writes OUT_DIR/{certify,nnenum,abcrown}.csv, table.txt, cactus.png, report.html, and machine.txt (load before and after).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root"
export PEERS_DIR="${PEERS_DIR:-/work/peers}"
[ -d "$PEERS_DIR/src" ] || { echo "run.sh: no peers under PEERS_DIR=$PEERS_DIR (build them: benchmarks/verification/peers/README.md)" >&2; exit 2; }
out="${1:-benchmarks/verification/peers/out-$(git rev-parse --short HEAD 2>/dev/null || echo run)}"
shift || true
list="${LIST:-benchmarks/verification/peers/sample.csv}"
cap="${TIMEOUT_CAP:-120}"
# A peer through ../shared/peers/run_peer.sh, which prints "<verdict> <seconds>" and keeps its own result file and log
# under $PEERS_DIR/logs; its first word becomes the run's result file. run_peer.sh kills its tool at TIMEOUT + 10 s
# (counted as timeout) and works on copies of the inputs (alpha-beta-CROWN writes beside them), so compare's own kill
# (--grace 30) only ever catches a hung run_peer.sh.
peer() { echo "bash ../shared/peers/run_peer.sh $1 {onnx} {vnnlib} {timeout} | cut -d' ' -f1 > {results}"; }
tools=()
for t in ${TOOLS:-certify nnenum abcrown}; do
  case "$t" in
    certify) tools+=(--tool certify=certify) ;;
    nnenum|abcrown) tools+=(--tool "$t=$(peer "$t")") ;;
    *) echo "run.sh: unknown tool $t (certify, nnenum, abcrown)" >&2; exit 2 ;;
  esac
done
./certify version >/dev/null   # builds Release once, before the clock of the first instance starts
mkdir -p "$out"
{ echo "commit $(git rev-parse HEAD 2>/dev/null || echo -)"; echo "cores $(nproc)"; echo "before: $(uptime)"; cat "$PEERS_DIR/VERSIONS.txt" 2>/dev/null || true; } > "$out/machine.txt"
rc=0
CERTIFY_NO_BUILD=1 ./certify compare "$list" --root ../shared/bench --timeout-cap "$cap" --grace 30 "${tools[@]}" --out-dir "$out" "$@" || rc=$?
echo "after:  $(uptime)" >> "$out/machine.txt"
exit $rc
