#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for pipe's integration tests.
#
#   tests/slurm/cluster.sh start    installs slurm-wlm and munge when missing (as root),
#                                   starts munged, slurmctld and slurmd, waits for the node
#   tests/slurm/cluster.sh stop     stops them by their PIDs
#   tests/slurm/cluster.sh conf     prints the configuration file clients and jobs need in SLURM_CONF
#
# Everything lives in PIPE_SLURM_STATE (default /tmp/pipe-slurm): the configuration made
# from tests/slurm/slurm.conf.in, munge's key and socket, the daemons' logs and PIDs.
# Nothing is written to /etc; clients find the cluster through SLURM_CONF.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="${PIPE_SLURM_STATE:-/tmp/pipe-slurm}"
port="${PIPE_SLURM_PORT:-6817}"
conf="$state/slurm.conf"

die() { echo "cluster.sh: $*" >&2; exit 1; }

install_packages() {
  local missing=()
  for p in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "needs root to install ${missing[*]}"
  # The packages start system-wide daemons on install unless policy-rc.d forbids it.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; made_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $made_policy -eq 1 ] && rm -f "$policy"
  return 0
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  install_packages
  [ "$(id -u)" -eq 0 ] || die "slurmd must run as root"
  if running "$state/slurmctld.pid"; then echo "cluster.sh: already running ($conf)"; return 0; fi
  mkdir -p "$state/munge" "$state/ctld" "$state/slurmd"
  chmod 0755 "$state" "$state/munge"
  if [ ! -f "$state/munge/munge.key" ]; then
    dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
  fi
  chmod 0600 "$state/munge/munge.key"
  local host node
  host="$(hostname -s)"
  node="$(slurmd -C | head -1)"
  sed -e "s|@STATE@|$state|g" -e "s|@HOST@|$host|g" -e "s|@NODE@|$node|" \
      -e "s|@PORT@|$port|" -e "s|@PORT1@|$((port + 1))|" "$here/slurm.conf.in" > "$conf"
  export SLURM_CONF="$conf"
  munged --force --socket="$state/munge/munge.socket.2" --key-file="$state/munge/munge.key" \
         --pid-file="$state/munge/munged.pid" --log-file="$state/munge/munged.log" \
         --seed-file="$state/munge/munged.seed"
  slurmctld -f "$conf"
  slurmd -f "$conf"
  # The node registers within a few seconds; a job can run once it is idle.
  for _ in $(seq 1 60); do
    if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
      echo "cluster.sh: up ($conf)"
      return 0
    fi
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
    sleep 1
  done
  tail -5 "$state/slurmctld.log" "$state/slurmd.log" >&2 || true
  die "the node did not become idle in 60 s"
}

stop() {
  for pidfile in "$state/slurmd.pid" "$state/slurmctld.pid" "$state/munge/munged.pid"; do
    if running "$pidfile"; then
      local pid; pid="$(cat "$pidfile")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  # Job steps left behind by a killed slurmd.
  pkill -f slurmstepd 2>/dev/null || true
  echo "cluster.sh: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  conf) echo "$conf" ;;
  *) echo "usage: tests/slurm/cluster.sh start|stop|conf" >&2; exit 2 ;;
esac
