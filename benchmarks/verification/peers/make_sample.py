#!/usr/bin/env python3
"""Writes sample.csv, the fixed sample of issue 17's side-by-side comparison (see README.md here).

Rule (deterministic, from ../shared/bench only):
- image families mnist_fc_2021, eran, oval21_2021, cifar10_resnet, sri_resnet_a: of the family's instances.csv rows
  (in file order) those with a sat/unsat label in sets/all.csv, the 12 at positions floor(i * n / 12), i = 0..11
  (n labelled rows: evenly spread, so every network of the family is drawn);
- acasxu: the 14 labelled instances with the largest best_published_time in sets/all.csv (ties: onnx, vnnlib);
- timeout: min(official, 120) s.
Usage: make_sample.py [BENCH_DIR (default ../shared/bench from the project root)] > sample.csv
"""
import csv, os, sys

bench = sys.argv[1] if len(sys.argv) > 1 else os.path.join("..", "shared", "bench")
IMAGE = ["mnist_fc_2021", "eran", "oval21_2021", "cifar10_resnet", "sri_resnet_a"]
PER_FAMILY, ACAS, CAP = 12, 14, 120.0

with open(os.path.join(bench, "sets", "all.csv"), newline="") as f:
    rows = [r for r in csv.DictReader(f) if r["label"] in ("sat", "unsat")]
labelled = {(r["family"], r["onnx"], r["vnnlib"]): r for r in rows}

def timeout(t):
    return f"{min(float(t), CAP):g}"

out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["family", "onnx", "vnnlib", "timeout", "label", "best_published_time"])
acas = sorted((r for r in rows if r["family"] == "acasxu"),
              key=lambda r: (-float(r["best_published_time"] or 0), r["onnx"], r["vnnlib"]))[:ACAS]
for r in acas:
    out.writerow([r["family"], r["onnx"], r["vnnlib"], timeout(r["timeout"]), r["label"], r["best_published_time"]])
for fam in IMAGE:
    with open(os.path.join(bench, fam, "instances.csv"), newline="") as f:
        listed = [(fam, f"{fam}/{o.strip()}", f"{fam}/{v.strip()}") for o, v, *_ in csv.reader(f) if o.strip()]
    picked = [labelled[k] for k in listed if k in labelled]
    n = len(picked)
    if n < PER_FAMILY:
        sys.exit(f"{fam}: only {n} labelled instances")
    for i in range(PER_FAMILY):
        r = picked[i * n // PER_FAMILY]
        out.writerow([r["family"], r["onnx"], r["vnnlib"], timeout(r["timeout"]), r["label"], r["best_published_time"]])
