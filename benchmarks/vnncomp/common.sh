# Shared by the VNN-COMP scripts (sourced, not run). The state folder holds the pid file of the run that
# run_instance.sh started, so that prepare_instance.sh ends that run and nothing else: it is per user and per
# checkout, so two users (or two checkouts) on one machine never touch each other's runs.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# CERTIFY overrides the command (the fault drill uses it to stand in a crashing tool).
certify="${CERTIFY:-$root/certify}"
state="${CERTIFY_VNNCOMP_STATE:-${TMPDIR:-/tmp}/certify-vnncomp-$(id -u)-$(printf %s "$root" | cksum | cut -d' ' -f1)}"
pidfile="$state/run.pid"

# The settings file for a VNN-COMP CATEGORY: configs/<category>.yaml, else the same without a trailing _<year>
# (acasxu_2023 -> acasxu), else configs/default.yaml. Matched in lower case; a category that is not a plain name
# (letters, digits, '_', '-') gets the default, so no CATEGORY can point outside configs/.
category_config() {
  local c configs="$root/benchmarks/vnncomp/configs"
  c="$(printf %s "${1:-}" | tr '[:upper:]' '[:lower:]')"
  if [[ "$c" =~ ^[a-z0-9][a-z0-9_-]*$ ]]; then
    for candidate in "$c" "$(sed -E 's/_(19|20)[0-9]{2}$//' <<<"$c")"; do
      [ -f "$configs/$candidate.yaml" ] && { printf '%s\n' "$configs/$candidate.yaml"; return; }
    done
  fi
  printf '%s\n' "$configs/default.yaml"
}
