#!/usr/bin/env bash
# The customer app's cost: time from start to its window on screen, and the agent's memory and
# CPU while a session idles, with the window and (for comparison) with --no-window.
# Usage: tests/bench/customer-app.sh [debug|release]   (default release; idle 20 s each)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ensure_packages xvfb xdotool x11-utils fonts-dejavu-core libturbojpeg0-dev pkg-config
ensure_cargo
profile=${1:-release}
if [ "$profile" = release ]; then cargo build --release --workspace --bins -q; fi
bin=target/$profile
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"; }
trap cleanup EXIT

display=:$((200 + RANDOM % 300))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.05; done
port=$((20000 + RANDOM % 20000))
export TANDEM_ADMIN_PASSWORD=bench-password-123
"$bin/tandem-portal" --listen "127.0.0.1:$port" --db "$work/portal.sqlite3" >"$work/portal.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/portal.log" 2>/dev/null && break; sleep 0.1; done
export TANDEM_PORTAL; TANDEM_PORTAL=$(sed -n 's/.*listening on \(https\?:[^ ]*\).*/\1/p' "$work/portal.log" | head -n1)
export TANDEM_USER=admin TANDEM_PASSWORD=$TANDEM_ADMIN_PASSWORD
ticks=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() { # $1 = label, rest = extra agent arguments
  local label=$1; shift
  local json code link
  json=$("$bin/tandem-viewer" code new --customer Bench --json)
  code=$(echo "$json" | sed -E 's/.*"code":"([0-9]{9})".*/\1/')
  link=$(echo "$json" | sed -E 's/.*"join_url":"([^"]*)".*/\1/')
  # The headless viewer leaves (and, as host, ends the session) when its input closes.
  sleep 600 | "$bin/tandem-viewer" join --headless "$code" >"$work/viewer-$label.log" 2>&1 &
  local viewer=$!
  pids+=("$viewer")
  local start end
  start=$(date +%s.%N)
  "$bin/tandem-agent" --join "$link" --display "$display" --pre-authorize control \
    --webrtc-bind 127.0.0.1 --state-dir "$work/state-$label" --log-file "$work/agent-$label.log" "$@" \
    </dev/null >"$work/agent-$label.out" 2>&1 &
  local agent=$!
  pids+=("$agent")
  if [ "$label" = window ]; then
    DISPLAY=$display timeout 30 xdotool search --sync --onlyvisible --name '^Tandem remote support$' >/dev/null
    end=$(date +%s.%N)
    echo "window on screen after $(echo "($end - $start) * 1000" | bc -l | cut -d. -f1) ms"
  fi
  for _ in $(seq 300); do grep -q '"event":"connected"' "$work/viewer-$label.log" && break; sleep 0.1; done
  sleep 3 # let the first frames and the window settle before measuring idle
  local t0 c0 t1 c1
  t0=$(date +%s.%N); c0=$(cpu_ticks "$agent")
  sleep 20
  t1=$(date +%s.%N); c1=$(cpu_ticks "$agent")
  local rss
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$agent/status")
  echo "$label: idle CPU $(echo "100 * ($c1 - $c0) / $ticks / ($t1 - $t0)" | bc -l | cut -c1-5) %, RSS $((rss / 1024)) MiB"
  kill "$agent" "$viewer" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$agent" 2>/dev/null || break; sleep 0.1; done
  return 0
}

run terminal --no-window
run window
