#!/bin/sh
# slurm-local.sh start DIR | stop DIR - a throwaway single-node Slurm:
# munged, slurmctld and slurmd on localhost, every file (key, sockets,
# state, logs, slurm.conf) under DIR, for tests and for trying the job
# array recipe on one machine.  start installs slurm-wlm and munge when
# missing (as root), prints the SLURM_CONF to export, and waits until the
# node is idle; stop kills the daemons by their pid files.
set -eu
cmd=${1:-}; R=${2:-}
[ -n "$cmd" ] && [ -n "$R" ] || { echo "usage: slurm-local.sh start|stop DIR" >&2; exit 2; }
case $cmd in
start)
    if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
        [ "$(id -u)" -eq 0 ] || { echo "slurm-local: slurm-wlm and munge are not installed" >&2; exit 1; }
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1; apt-get install -y -q slurm-wlm munge >/dev/null; }
    fi
    R=$(mkdir -p "$R" && cd "$R" && pwd)
    mkdir -p "$R/munge" "$R/munge-sock" "$R/slurm/state" "$R/slurm/spool" "$R/slurm/log"
    chmod 700 "$R/munge"
    chmod 755 "$R" "$R/munge-sock" # munged refuses a socket directory without o+x
    dd if=/dev/urandom of="$R/munge/munge.key" bs=1024 count=1 2>/dev/null
    chmod 400 "$R/munge/munge.key"
    munged --key-file="$R/munge/munge.key" --socket="$R/munge-sock/munge.sock" \
        --pid-file="$R/munge/munged.pid" --log-file="$R/munge/munged.log" --seed-file="$R/munge/munged.seed"
    host=$(hostname -s)
    mem=$(awk '/MemTotal/ {print int($2 / 2048)}' /proc/meminfo)
    cat > "$R/slurm/slurm.conf" <<CONF
ClusterName=nmlocal
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$R/munge-sock/munge.sock
StateSaveLocation=$R/slurm/state
SlurmdSpoolDir=$R/slurm/spool
SlurmctldPidFile=$R/slurm/slurmctld.pid
SlurmdPidFile=$R/slurm/slurmd.pid
SlurmctldLogFile=$R/slurm/log/slurmctld.log
SlurmdLogFile=$R/slurm/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$R/slurm/slurm.conf"
    slurmctld -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF"
    i=0
    until sinfo -h -o %t 2>/dev/null | grep -q idle; do
        i=$((i + 1))
        [ $i -lt 100 ] || { echo "slurm-local: the node did not come up; see $R/slurm/log" >&2; exit 1; }
        sleep 0.2
    done
    echo "$SLURM_CONF"
    ;;
stop)
    for p in "$R/slurm/slurmd.pid" "$R/slurm/slurmctld.pid" "$R/munge/munged.pid"; do
        [ -f "$p" ] || continue
        pid=$(cat "$p")
        kill "$pid" 2>/dev/null || continue
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null || true
    done
    ;;
*) echo "usage: slurm-local.sh start|stop DIR" >&2; exit 2 ;;
esac
