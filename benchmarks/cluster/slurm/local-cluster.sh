#!/usr/bin/env bash
# A throw-away single-node Slurm cluster on this machine, to try the array recipe (and for the test that runs it):
#   local-cluster.sh start DIR   installs slurm-wlm and munge when missing (root and apt-get needed), starts munged
#                                (unless one answers already), then slurmctld and slurmd with DIR/slurm.conf; prints
#                                the line `export SLURM_CONF=DIR/slurm.conf` for sbatch, squeue and sinfo
#   local-cluster.sh stop DIR    cancels its jobs and stops the daemons it started
# One node (this host, all its CPUs), one partition; no cgroups, no accounting (ProctrackType=proctrack/linuxproc,
# TaskPlugin=task/none), so it runs in a container without systemd. The daemons run as root with their state in DIR.
# Exit codes: 0 done; 2 usage; 3 it cannot be set up here (no root, no apt-get, a daemon that does not start: the
# reason is the last line on standard error); the test skips on 3.
set -euo pipefail
die() { echo "local-cluster: $*" >&2; exit 3; }
[ $# -eq 2 ] && [[ "$1" =~ ^(start|stop)$ ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
cmd=$1; dir=$(mkdir -p "$2" && cd "$2" && pwd)
conf="$dir/slurm.conf"
port_ctl=${SLURMCTLD_PORT:-6817}; port_d=${SLURMD_PORT:-6818}

stop() {
  [ -f "$conf" ] && SLURM_CONF="$conf" scancel --user="$(id -un)" 2>/dev/null || true
  for p in slurmd slurmctld munged; do
    if [ -f "$dir/$p.pid" ]; then
      pid=$(cat "$dir/$p.pid"); kill "$pid" 2>/dev/null || true
      # wait for it to end: slurmctld saves its state on the way out, and DIR may be deleted right after
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$dir/$p.pid"
    fi
  done
}
if [ "$cmd" = stop ]; then stop; exit 0; fi

[ "$(id -u)" = 0 ] || die "needs root (the daemons run as root here); run it as root or use an existing cluster"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || die "slurm-wlm and munge are not installed and there is no apt-get to install them"
  echo "local-cluster: installing slurm-wlm and munge (apt-get)..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge) >"$dir/apt.log" 2>&1 \
    || die "apt-get install slurm-wlm munge failed (see $dir/apt.log)"
fi

# munge: the authentication every Slurm message carries. Reuse a running munged, else start one with its own key.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [ ! -s /etc/munge/munge.key ]; then
    (mungekey --create 2>/dev/null || /usr/sbin/create-munge-key -f) >/dev/null 2>&1 || die "cannot create /etc/munge/munge.key"
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true; chmod 600 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge; chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  pidfile=/run/munge/certify-local-munged.pid   # in munge's own folder: munged runs as munge and cannot write DIR
  rm -f "$pidfile"
  runuser -u munge -- munged --pid-file="$pidfile" >/dev/null 2>&1 || munged --force --pid-file="$pidfile" >/dev/null 2>&1 \
    || die "munged does not start"
  for _ in $(seq 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
  cp "$pidfile" "$dir/munged.pid" 2>/dev/null || true
  munge -n | unmunge >/dev/null 2>&1 || die "munged started but does not answer"
fi

host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
cat > "$conf" <<CONF
# written by benchmarks/cluster/slurm/local-cluster.sh: one node, no cgroups, no accounting
ClusterName=certify-local
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=$port_ctl
SlurmdPort=$port_d
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
stop_partial() { stop; die "$1 (logs in $dir/log)"; }
slurmctld -i -f "$conf" 2>>"$dir/log/start.log" || stop_partial "slurmctld does not start"
slurmd -f "$conf" 2>>"$dir/log/start.log" || stop_partial "slurmd does not start"
# Wait for the node to be idle (it registers with the controller within seconds).
for _ in $(seq 60); do
  state=$(sinfo -h -n "$host" -o %t 2>/dev/null | head -1 || true)
  case "$state" in idle*|mix*|alloc*) echo "export SLURM_CONF=$conf"; exit 0 ;; esac
  sleep 1
done
stop_partial "the node did not become idle (sinfo state '${state:-none}')"
