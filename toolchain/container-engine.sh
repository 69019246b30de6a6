#!/usr/bin/env bash
# A Docker engine for building and testing the platform's images on this machine.
#
#   toolchain/container-engine.sh [start]   engine answers already, or install Debian's
#                                           docker.io (root + apt) and start dockerd
#   toolchain/container-engine.sh stop      stop the dockerd this script started (its PID
#                                           file), nothing else
#   toolchain/container-engine.sh status    say whether an engine answers and whose it is
#
# The dockerd started here leaves the host's kernel settings and packet filter alone:
# --ip-forward=false keeps net.ipv4.ip_forward as it is and --iptables=false adds no
# rules. Containers then have no route out through NAT, so image builds use the host's
# network (`docker build --network host`); the host reaches containers on the bridge.
# Builds use the legacy builder (DOCKER_BUILDKIT=0): BuildKit needs the buildx plugin
# and fetches its Dockerfile frontend from a registry.
set -euo pipefail

CACHE="${MLOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlops-platform}"
STATE="$CACHE/container-engine"
PIDFILE="$STATE/dockerd.pid"
LOG="$STATE/dockerd.log"
# Host state found before our dockerd started, so `stop` removes only what it added.
BEFORE="$STATE/host-before-start"
TIMEOUT="${MLOPS_ENGINE_TIMEOUT:-90}"

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() { printf 'container-engine: error: %s\n' "$*" >&2; exit 1; }

engine_answers() { docker info >/dev/null 2>&1; }

our_pid() {
  # The PID in our PID file, if that process is still a dockerd.
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]] || return 1
  echo "$pid"
}

cannot_have_engine() {
  printf 'container-engine: no Docker engine: %s; as root on Debian, %s\n' "$1" \
    "run toolchain/container-engine.sh (it installs docker.io with apt-get and starts dockerd)" >&2
  exit 1
}

install_engine() {
  command -v dockerd >/dev/null && return 0
  step "installing Docker Engine from Debian packages (apt-get install docker.io)"
  # Waits for apt's lock when another install is running instead of failing at once.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 docker.io ||
    fail "apt-get install docker.io failed (see its output above)"
  command -v dockerd >/dev/null || fail "docker.io installed but dockerd is not on PATH"
}

record_host_state() {
  {
    ip link show docker0 >/dev/null 2>&1 && echo "link docker0"
    local dir
    for dir in /sys/fs/cgroup/*/docker /sys/fs/cgroup/docker; do
      [[ -d "$dir" ]] && echo "cgroup $dir"
    done
    docker_mounts | sed 's/^/mount /'
    true
  } >"$BEFORE"
}

# Mount points dockerd makes for itself (e.g. the netns handle /run/docker/netns/default).
docker_mounts() {
  awk '$2 ~ "^(/run/docker|/var/run/docker|/var/lib/docker)(/|$)" {print $2}' /proc/mounts
}

start() {
  if engine_answers; then
    step "a Docker engine answers: $(docker info --format '{{.ServerVersion}} ({{.Driver}}, cgroup {{.CgroupVersion}})')"
    return 0
  fi
  [[ "$(id -u)" == 0 ]] || cannot_have_engine "not root (dockerd needs root here)"
  command -v apt-get >/dev/null || cannot_have_engine "apt-get is missing (not Debian)"
  install_engine
  mkdir -p "$STATE"
  if pid="$(our_pid)"; then
    step "dockerd $pid (started earlier by this script) is running but does not answer yet"
  else
    # A PID file whose dockerd is gone would read as "exited while starting" below.
    rm -f "$PIDFILE"
    record_host_state
    step "starting dockerd (log: $LOG)"
    setsid dockerd --pidfile "$PIDFILE" --ip-forward=false --iptables=false \
      </dev/null >"$LOG" 2>&1 &
  fi
  local waited=0
  printf 'waiting for the engine' >&2
  until engine_answers; do
    if ((waited >= TIMEOUT)); then
      printf '\n' >&2
      tail -n 20 "$LOG" >&2 || true
      stop
      fail "dockerd did not answer within ${TIMEOUT}s (last log lines above; MLOPS_ENGINE_TIMEOUT raises the limit)"
    fi
    if [[ -f "$PIDFILE" ]] && ! our_pid >/dev/null; then
      printf '\n' >&2
      tail -n 20 "$LOG" >&2 || true
      fail "dockerd exited while starting (last log lines above)"
    fi
    printf '.' >&2
    sleep 1
    waited=$((waited + 1))
  done
  printf '\n' >&2
  step "Docker engine $(docker info --format '{{.ServerVersion}}') answers after ${waited}s (PID $(our_pid || echo '?'); stop it with: toolchain/container-engine.sh stop)"
}

remove_what_we_added() {
  [[ -f "$BEFORE" ]] || return 0
  if ip link show docker0 >/dev/null 2>&1 && ! grep -qx "link docker0" "$BEFORE"; then
    ip link delete docker0 && step "removed the docker0 bridge dockerd created"
  fi
  local dir
  for dir in /sys/fs/cgroup/*/docker /sys/fs/cgroup/docker; do
    [[ -d "$dir" ]] && ! grep -qx "cgroup $dir" "$BEFORE" || continue
    # Depth-first; rmdir refuses a cgroup that still holds processes, which is what we want.
    find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  local mount
  # Deepest first; ones that were there before dockerd started stay.
  for mount in $(docker_mounts | sort -r); do
    grep -qx "mount $mount" "$BEFORE" || umount "$mount" || true
  done
  rm -f "$BEFORE"
}

stop() {
  local pid
  if ! pid="$(our_pid)"; then
    step "no dockerd started by this script is running"
    rm -f "$PIDFILE"
    return 0
  fi
  step "stopping dockerd $pid"
  kill -TERM "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    ((waited < 60)) || fail "dockerd $pid did not exit within 60s of SIGTERM"
    sleep 1
    waited=$((waited + 1))
  done
  rm -f "$PIDFILE"
  remove_what_we_added
  step "dockerd stopped"
}

status() {
  if engine_answers; then
    local pid owner="not started by this script"
    pid="$(our_pid)" && owner="started by this script, PID $pid"
    echo "engine answers: $(docker info --format '{{.ServerVersion}}') ($owner)"
  else
    echo "no Docker engine answers (toolchain/container-engine.sh starts one)"
    return 1
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) fail "unknown command '$1' (use start, stop or status)" ;;
esac
