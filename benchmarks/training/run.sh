#!/usr/bin/env bash
# Certified-training benchmark on MNIST (issue 5): trains cnn-small with IBP and normally, then measures clean, PGD,
# IBP- and CROWN-certified accuracy on the 2,000 test digits, the IBP tightness, and the certified-accuracy chart.
# Outputs go to benchmarks/training/out/ (git-ignored). About 5 minutes of training and 20 minutes of certification
# (CROWN on 2,000 digits) on an idle 2-core machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/benchmarks/training/out"
mkdir -p "$out"
cd "$root"
./certify fetch-data mnist
lscpu | grep -E "Model name|^CPU\(s\)" > "$out/machine.txt"
/usr/bin/time -v ./certify train --data mnist --model cnn-small --method ibp --eps 0.1 --eps-train 0.15 --kappa-end 0 --epochs 40 \
  --out "$out/cnn-small-ibp.onnx" > "$out/ibp.log" 2> "$out/ibp.time"
/usr/bin/time -v ./certify train --data mnist --model cnn-small --method standard --epochs 5 \
  --out "$out/cnn-small-standard.onnx" > "$out/std.log" 2> "$out/std.time"
for m in ibp standard; do
  # IBP with the curve over epsilon (and the PNG chart), then CROWN (each margin the better of CROWN and IBP) at 0.1.
  ./certify certify-accuracy "$out/cnn-small-$m.onnx" --data mnist --eps 0.1 --method ibp --plot "$out/cnn-small-$m.png" | tee "$out/acc-$m-ibp.log"
  ./certify certify-accuracy "$out/cnn-small-$m.onnx" --data mnist --eps 0.1 --method crown --no-curve | tee "$out/acc-$m-crown.log"
done
