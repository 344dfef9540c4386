#!/usr/bin/env bash
# A small sample of certificates on ACAS Xu: for each instance of LIST (network,property pairs relative to the acasxu
# folder), verify with --certificate, then check the certificate; one CSV row per instance on standard output.
# Usage: benchmarks/certificates/run-sample.sh LIST TIMEOUT OUTDIR   (run from the repository root)
set -uo pipefail
list=$1; timeout=$2; out=$3
mkdir -p "$out"
acas=../shared/bench/acasxu
echo "network,property,verdict,verify_s,certificate,leaves,bytes,check,check_s,ratio"
while IFS=, read -r net prop; do
  name="$(basename "$net" .onnx)-$(basename "$prop" .vnnlib)"
  cert="$out/$name.json"; rm -f "$cert"
  t0=$(date +%s.%N)
  v=$(./certify verify "$acas/$net" "$acas/$prop" --timeout "$timeout" --exact none --certificate "$cert" 2>/dev/null)
  t1=$(date +%s.%N)
  verdict=$(echo "$v" | head -1 | cut -d' ' -f1)
  note=$(echo "$v" | grep -o 'certificate .*' | head -1 | sed 's/,/;/g')
  leaves=$(echo "$note" | grep -o '([0-9]* leaves)' | tr -dc 0-9)
  check=""; cs=""; bytes=""
  if [ -f "$cert" ]; then
    bytes=$(stat -c %s "$cert")
    c0=$(date +%s.%N)
    check=$(./certify check-certificate "$acas/$net" "$acas/$prop" "$cert" 2>&1 | head -1 | cut -c1-120 | sed 's/,/;/g')
    c1=$(date +%s.%N)
    cs=$(echo "$c1 - $c0" | bc)
  fi
  vs=$(echo "$t1 - $t0" | bc)
  ratio=""; [ -n "$cs" ] && ratio=$(echo "scale=2; $cs / $vs" | bc)
  echo "$net,$prop,$verdict,$vs,$note,$leaves,$bytes,$check,$cs,$ratio"
done < "$list"
