#!/usr/bin/env bash
# Certified-training benchmark on MNIST (issue 5): trains cnn-small with IBP and normally, then measures clean, PGD
# and certified accuracy on the 2,000 test digits. Outputs go to benchmarks/training/out/ (git-ignored).
# Takes roughly 5-10 minutes of CPU on an idle 2-core machine; far longer in wall time when the cores are shared.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/benchmarks/training/out"
mkdir -p "$out"
cd "$root"
./certify fetch-data mnist
lscpu | grep -E "Model name|^CPU\(s\)" > "$out/machine.txt"
/usr/bin/time -v ./certify train --data mnist --model cnn-small --method ibp --eps 0.1 --eps-train 0.2 --kappa-end 0 --epochs 20 \
  --out "$out/cnn-small-ibp.onnx" > "$out/ibp.log" 2> "$out/ibp.time"
/usr/bin/time -v ./certify train --data mnist --model cnn-small --method standard --eps 0.1 --epochs 10 \
  --out "$out/cnn-small-standard.onnx" > "$out/std.log" 2> "$out/std.time"
for m in ibp standard; do
  ./certify certify-accuracy "$out/cnn-small-$m.onnx" --data mnist --eps 0.1 --method crown --plot "$out/cnn-small-$m.png" | tee "$out/acc-$m.log"
done
