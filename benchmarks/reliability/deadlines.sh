#!/usr/bin/env bash
# Deadline reliability: runs `certify verify MODEL PROP --timeout T` as a whole process on a fixed mixed sample of the
# third-party benchmarks and measures each process's wall time from outside (loading, JIT and native start-up included).
# The goal is wall ≤ T + 2 s for every instance.
#
# Usage: benchmarks/reliability/deadlines.sh [T=10] [N=40] [OUT=benchmarks/reliability/deadlines]
#   BENCH=../shared/bench (default); writes OUT.csv and OUT-table.md (the markdown table).
#
# Sample (deterministic): per family of sets/all.csv, candidate instances are ordered so that each distinct network
# comes once before any repeats, larger .onnx/.nnet files first, then in file order; families are then taken round
# robin (alphabetical), a third and later round visiting families with the largest networks first, until N instances.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
T="${1:-10}"; N="${2:-40}"; out="${3:-$root/benchmarks/reliability/deadlines}"
bench="${BENCH:-$root/../shared/bench}"
[ -f "$bench/sets/all.csv" ] || { echo "deadlines.sh: $bench/sets/all.csv not found (set BENCH)" >&2; exit 1; }

sample="$(python3 - "$bench" "$N" <<'PY'
import csv, os, sys
bench, n = sys.argv[1], int(sys.argv[2])
fams = {}
with open(os.path.join(bench, "sets/all.csv")) as f:
    for i, row in enumerate(csv.DictReader(f)):
        fams.setdefault(row["family"], []).append((i, row["onnx"], row["vnnlib"]))
size = lambda p: os.path.getsize(os.path.join(bench, p))
order = {}
for fam, rows in fams.items():
    seen, first, rest = set(), [], []
    for r in rows:
        (rest if r[1] in seen else first).append(r); seen.add(r[1])
    first.sort(key=lambda r: (-size(r[1]), r[0]))
    order[fam] = first + rest
biggest = sorted(fams, key=lambda f: -max(size(r[1]) for r in fams[f]))
picked, rnd = [], 0
while len(picked) < n and any(order.values()):
    for fam in (sorted(fams) if rnd < 2 else biggest):
        if len(picked) < n and order[fam]:
            r = order[fam].pop(0); picked.append((fam, r[1], r[2], size(r[1])))
    rnd += 1
for fam, onnx, prop, sz in picked: print(f"{fam},{onnx},{prop},{sz}")
PY
)"

[ "${DRY:-0}" = 1 ] && { echo "$sample"; exit 0; }   # DRY=1: print the sample only
csv="$out.csv"; md="$out-table.md"
CERTIFY_NO_BUILD=0 "$root/certify" version >/dev/null   # build once, outside the measurement
load_before="$(uptime)"
started="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "family,model,property,model_bytes,timeout_s,wall_s,over_s,verdict,exit" > "$csv"
while IFS=, read -r fam onnx prop sz; do
  t0=$(date +%s.%N)
  set +e
  verdict=$(CERTIFY_NO_BUILD=1 "$root/certify" verify "$bench/$onnx" "$bench/$prop" --timeout "$T" --quiet 2>/dev/null | tail -1)
  rc=$?
  set -e
  t1=$(date +%s.%N)
  wall=$(echo "$t1 - $t0" | bc -l)
  over=$(echo "$wall - $T" | bc -l)
  printf '%s,%s,%s,%s,%s,%.2f,%.2f,%s,%s\n' "$fam" "$onnx" "$prop" "$sz" "$T" "$wall" "$over" "${verdict:-none}" "$rc" | tee -a "$csv" >&2
done <<< "$sample"

load_after="$(uptime)"
python3 - "$csv" "$md" "$started" "$load_before" "$load_after" "$(nproc)" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
t = float(rows[0]["timeout_s"]) if rows else 0
ok = sum(float(r["wall_s"]) <= t + 2 for r in rows)
worst = max(rows, key=lambda r: float(r["over_s"])) if rows else None
with open(sys.argv[2], "w") as f:
    f.write(f"Started {sys.argv[3]} on {sys.argv[6]} cores. Load before: `{sys.argv[4].strip()}`; after: `{sys.argv[5].strip()}`.\n\n")
    f.write(f"{ok} of {len(rows)} within timeout + 2 s ({t:g} + 2 s); worst: {worst['wall_s']} s ({worst['family']}, {worst['model'].split('/')[-1]}).\n\n")
    f.write("| family | model | property | MB | wall (s) | over T (s) | verdict |\n|---|---|---|---:|---:|---:|---|\n")
    for r in rows:
        f.write(f"| {r['family']} | {r['model'].split('/')[-1]} | {r['property'].split('/')[-1]} | {int(r['model_bytes'])/1e6:.1f} | {float(r['wall_s']):.2f} | {float(r['over_s']):+.2f} | {r['verdict']} |\n")
print(open(sys.argv[2]).read().split("\n\n")[1])
PY
