#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the Slurm test (tests/FastAD.Cli.Tests/SlurmTests.cs) and for trying
# scripts/slurm-pseudo.sh: munged, slurmctld and slurmd started directly (no systemd), with a minimal slurm.conf for this
# host (CPUs and memory from `slurmd -C`, partition debug, no accounting). Run as root; needs Debian's slurm-wlm and munge.
#
#   scripts/slurm-local.sh start     # idempotent: starts what is not running, waits until the node is idle (60 s)
#   scripts/slurm-local.sh status    # exit 0 when munge, slurmctld and slurmd answer and the node is idle
#   scripts/slurm-local.sh stop      # stops the daemons this script started (by their pid files)
#
# It writes /etc/slurm/slurm.conf only when there is none or when it is one this script wrote: a real cluster's
# configuration is never replaced. State, spool, logs and pid files live in $FASTAD_SLURM_DIR (/var/spool/fastad-slurm).
set -euo pipefail
CONF=/etc/slurm/slurm.conf
DIR="${FASTAD_SLURM_DIR:-/var/spool/fastad-slurm}"
MARK="# written by FastAD scripts/slurm-local.sh"
HOST="$(hostname -s)"
MUNGE_PID=/run/munge/munged.pid
CONF_CHANGED=0

munge_ok() { command -v munge >/dev/null && munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
ctld_ok() { scontrol ping 2>/dev/null | grep -q 'is UP'; }
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
node_state() { sinfo -h -n "$HOST" -o '%t' 2>/dev/null | head -n 1 || true; }

logs() {
  for f in "$DIR/slurmctld.log" "$DIR/slurmd.log" /var/log/munge/munged.log; do
    [ -f "$f" ] && { echo "== $f (last 40 lines) =="; tail -n 40 "$f"; }
  done
  return 0
}

write_conf() {
  if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    echo "slurm-local: $CONF exists and was not written by this script; not replacing it." >&2
    return 0
  fi
  # slurmd -C prints this node's hardware as a NodeName line (CPUs, boards, sockets, cores, threads, RealMemory).
  local hw
  hw="$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]* *//')"
  [ -n "$hw" ] || { echo "slurm-local: slurmd -C printed nothing" >&2; return 1; }
  mkdir -p "$(dirname "$CONF")"
  local tmp="$CONF.tmp.$$"
  cat > "$tmp" <<EOF
$MARK: a one-node cluster on localhost for the FastAD tests.
ClusterName=fastad-local
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/d
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
KillWait=5
MinJobAge=600
NodeName=$HOST NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
  if [ -f "$CONF" ] && cmp -s "$tmp" "$CONF"; then rm -f "$tmp"; else mv "$tmp" "$CONF"; CONF_CHANGED=1; fi
}

start_munge() {
  munge_ok && return 0
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key
    elif command -v create-munge-key >/dev/null; then create-munge-key -f
    else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
  fi
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /etc/munge /etc/munge/munge.key /run/munge /var/lib/munge /var/log/munge
  chmod 0700 /etc/munge
  chmod 0400 /etc/munge/munge.key
  chmod 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 1 20); do munge_ok && return 0; sleep 0.5; done
  echo "slurm-local: munged does not answer" >&2
  return 1
}

wait_idle() {
  local state=""
  for i in $(seq 1 60); do
    state="$(node_state)"
    case "$state" in
      idle|mix|alloc) return 0 ;;
      # A node left down or drained by an earlier run: ReturnToService=2 brings it back when it registers; nudge it.
      down*|drain*|drng*) if [ $((i % 10)) -eq 5 ]; then scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true; fi ;;
    esac
    sleep 1
  done
  echo "slurm-local: node $HOST is not idle after 60 s (state '${state:-none}')" >&2
  sinfo -N -l 2>&1 || true
  logs >&2
  return 1
}

start() {
  for b in munged slurmctld slurmd sinfo sbatch scontrol; do
    command -v "$b" >/dev/null || { echo "slurm-local: $b not found (Debian: apt-get install slurm-wlm munge)" >&2; return 1; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "slurm-local: run as root" >&2; return 1; }
  mkdir -p "$DIR/ctld" "$DIR/d"
  write_conf
  start_munge
  if ! ctld_ok; then
    pid_alive "$DIR/slurmctld.pid" || slurmctld
    for _ in $(seq 1 30); do ctld_ok && break; sleep 1; done
    ctld_ok || { echo "slurm-local: slurmctld does not answer" >&2; logs >&2; return 1; }
  elif [ "$CONF_CHANGED" -eq 1 ]; then
    scontrol reconfigure
  fi
  pid_alive "$DIR/slurmd.pid" || slurmd
  wait_idle
  echo "slurm-local: node $HOST $(node_state) (partition debug; logs in $DIR)"
}

stop() {
  local f
  for f in "$DIR/slurmd.pid" "$DIR/slurmctld.pid" "$MUNGE_PID"; do
    if pid_alive "$f"; then
      local pid
      pid="$(cat "$f")"
      kill "$pid"
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
  done
  echo "slurm-local: stopped"
}

status() {
  local ok=0
  if munge_ok; then echo "munge: up"; else echo "munge: down"; ok=1; fi
  if ctld_ok; then echo "slurmctld: up"; else echo "slurmctld: down"; ok=1; fi
  if pid_alive "$DIR/slurmd.pid"; then echo "slurmd: up"; else echo "slurmd: down"; ok=1; fi
  local state
  state="$(node_state)"
  echo "node $HOST: ${state:-unknown}"
  case "$state" in idle|mix|alloc) ;; *) ok=1 ;; esac
  return $ok
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  logs) logs ;;
  *) echo "usage: $0 start|stop|status|logs" >&2; exit 2 ;;
esac
