#!/usr/bin/env bash
# Runs an instance list on a Slurm cluster as a job array of N shards and a dependent merge job:
#   benchmarks/cluster/slurm/submit.sh [--wait] LIST OUTDIR N [run options...]
# e.g.  submit.sh ../shared/bench/sets/labelled.csv /scratch/me/labelled 32 --timeout-scale 0.1 --config my.yaml
# OUTDIR (on a file system every node sees) gets shard-K-of-N.csv, the Slurm logs, and results.csv once the merge ran.
# --family, --limit and --root are passed to the merge too (they decide which list the shards are cut from).
# --wait: return when the merge job has ended, with its exit code (sbatch --wait).
# Environment: CERTIFY, the certify command (default: this repository's ./certify, built here once before the
# tasks start, so that N tasks do not all build); SBATCH_ARGS, more sbatch options (partition, account, --time,
# --cpus-per-task=C: each task then runs with C libtorch threads).
# Exit code: 0 submitted (with --wait: merged); 2 usage; else sbatch's or the merge's.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
wait=(); [ "${1:-}" = --wait ] && { wait=(--wait); shift; }
[ $# -ge 3 ] && [[ "$3" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [--wait] LIST OUTDIR N [run options...]" >&2; exit 2; }
list=$(realpath "$1"); mkdir -p "$2"; out=$(realpath "$2"); n=$3; shift 3
[ -f "$list" ] || { echo "submit: $list: no such file" >&2; exit 2; }
select=(); args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --family|--limit|--root) select+=("${args[i]}" "${args[i+1]:-}"); i=$((i + 1)) ;;
    --family=*|--limit=*|--root=*) select+=("${args[i]}") ;;
  esac
done
if [ -z "${CERTIFY:-}" ]; then
  "$repo/certify" --version >/dev/null   # builds once, here
  export CERTIFY="$repo/certify" CERTIFY_NO_BUILD=1
fi
# shellcheck disable=SC2086  # SBATCH_ARGS holds several options
array=$(sbatch --parsable ${SBATCH_ARGS:-} --array="1-$n" --output="$out/slurm-%A_%a.out" "$here/shard.sbatch" "$list" "$out" "$@")
echo "submit: shards: job array $array (1-$n), rows in $out/shard-K-of-$n.csv" >&2
# afterany, not afterok: a shard that exits 1 (a wrong answer, an error row) still wrote every row; merge checks completeness.
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_ARGS:-} "${wait[@]}" --dependency="afterany:${array%%;*}" --output="$out/slurm-merge-%j.out" \
  "$here/merge.sbatch" "$list" "$out" "$n" "${select[@]}")
echo "submit: merge: job ${merge%%;*} -> $out/results.csv" >&2
