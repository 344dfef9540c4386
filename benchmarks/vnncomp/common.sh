# Shared by the VNN-COMP scripts (sourced, not run). The state folder holds the pid file of the run that
# run_instance.sh started, so that prepare_instance.sh ends that run and nothing else: it is per user and per
# checkout, so two users (or two checkouts) on one machine never touch each other's runs.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# CERTIFY overrides the command (the fault drill uses it to stand in a crashing tool).
certify="${CERTIFY:-$root/certify}"
state="${CERTIFY_VNNCOMP_STATE:-${TMPDIR:-/tmp}/certify-vnncomp-$(id -u)-$(printf %s "$root" | cksum | cut -d' ' -f1)}"
pidfile="$state/run.pid"
