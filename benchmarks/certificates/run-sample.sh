#!/usr/bin/env bash
# Certificates on a list: for each instance, verify with --certificate, then check the certificate; one CSV row per
# instance on standard output.
# Usage (from the repository root): benchmarks/certificates/run-sample.sh LIST TIMEOUT OUTDIR
#   LIST is either network,property pairs relative to ../shared/bench/acasxu (sample.csv), or a list with a header
#   whose first three columns are family,onnx,vnnlib relative to ../shared/bench (sets/labelled.csv's layout; only
#   rows whose label column is unsat are run).
set -uo pipefail
list=$1; timeout=$2; out=$3
mkdir -p "$out"
export CERTIFY_NO_BUILD=${CERTIFY_NO_BUILD:-}
echo "family,network,property,verdict,verify_s,certificate,leaves,bytes,check,check_s,ratio"
labelled=0; head -1 "$list" | grep -q '^family,' && labelled=1
tail -n +$((labelled + 1)) "$list" | while IFS=, read -r a b c _t label _rest; do
  if [ $labelled = 1 ]; then
    [ "${label:-}" = unsat ] || continue
    family=$a; net=../shared/bench/$b; prop=../shared/bench/$c
  else
    family=acasxu; net=../shared/bench/acasxu/$a; prop=../shared/bench/acasxu/$b
  fi
  name="$family-$(basename "$net" .onnx)-$(basename "$prop" .vnnlib)"
  cert="$out/$name.json"; rm -f "$cert"
  t0=$(date +%s.%N)
  v=$(./certify verify "$net" "$prop" --timeout "$timeout" --exact none --certificate "$cert" 2>/dev/null)
  t1=$(date +%s.%N)
  verdict=$(echo "$v" | head -1 | cut -d' ' -f1)
  note=$(echo "$v" | grep -o 'certificate .*' | head -1 | sed 's/,/;/g')
  leaves=$(echo "$note" | grep -o '([0-9]* leaves)' | tr -dc 0-9)
  check=""; cs=""; bytes=""
  if [ -f "$cert" ]; then
    bytes=$(stat -c %s "$cert")
    c0=$(date +%s.%N)
    check=$(./certify check-certificate "$net" "$prop" "$cert" 2>&1 | head -1 | cut -c1-120 | sed 's/,/;/g')
    c1=$(date +%s.%N)
    cs=$(echo "$c1 - $c0" | bc)
  fi
  vs=$(echo "$t1 - $t0" | bc)
  ratio=""; [ -n "$cs" ] && ratio=$(echo "scale=2; $cs / $vs" | bc)
  echo "$family,$(basename "$net" .onnx),$(basename "$prop" .vnnlib),$verdict,$vs,$note,$leaves,$bytes,$check,$cs,$ratio"
done
