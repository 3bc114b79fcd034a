#!/usr/bin/env bash
# peerbench server side for Tandem: portal + agent, in this script's process group.
#
#   server.sh PORT [DISPLAY]
#
# peerbench starts this in its own session with DISPLAY={display}, waits until PORT listens
# (the portal), then starts client.sh. The agent needs a session code that only the
# representative (client.sh) can create, so this script starts the portal, waits (at most
# TANDEM_PB_JOIN_WAIT s, default 60) for client.sh to write the join URL into the shared
# state directory, and then starts the agent. peerbench stops the row by signalling the
# whole process group; portal and agent are in it, and the trap below also kills them.
#
# Shared state: ${TMPDIR:-/tmp}/tandem-peerbench-PORT/ (mode 700): password (random admin
# password for this row), join (URL written by client.sh), p.sqlite3 (throw-away portal DB).
# Binaries: $TANDEM_BIN (default: <repo>/target/release).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BIN=${TANDEM_BIN:-$REPO/target/release}
PORT=${1:?usage: server.sh PORT [DISPLAY]}
DISP=${2:-${DISPLAY:-}}
[ -n "$DISP" ] || { echo "server.sh: no display (give one or set DISPLAY)" >&2; exit 2; }
STATE=${TMPDIR:-/tmp}/tandem-peerbench-$PORT
JOIN_WAIT=${TANDEM_PB_JOIN_WAIT:-60}

for b in tandem-portal tandem-agent; do
  [ -x "$BIN/$b" ] || { echo "server.sh: $BIN/$b missing (cargo build --release --workspace --bins)" >&2; exit 1; }
done

rm -rf "$STATE"
mkdir -m 700 "$STATE" || exit 1
# A fresh random administrator password per row; client.sh reads it from here.
( umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$STATE/password" )

portal= agent=
cleanup() {
  # Ignore further signals (peerbench may signal us twice), so the state is always removed.
  trap '' TERM INT HUP
  # shellcheck disable=SC2086
  [ -n "$agent$portal" ] && kill $agent $portal 2>/dev/null
  rm -rf "$STATE"
  wait 2>/dev/null
}
trap 'cleanup; exit 143' TERM INT HUP

TANDEM_ADMIN_PASSWORD=$(cat "$STATE/password") \
  "$BIN/tandem-portal" --listen "127.0.0.1:$PORT" --db "$STATE/p.sqlite3" &
portal=$!

deadline=$((SECONDS + JOIN_WAIT))
until [ -s "$STATE/join" ]; do
  if ! kill -0 "$portal" 2>/dev/null; then
    echo "server.sh: tandem-portal exited" >&2; cleanup; exit 1
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo "server.sh: no join URL from client.sh after ${JOIN_WAIT}s" >&2; cleanup; exit 1
  fi
  sleep 0.1
done
JOIN=$(cat "$STATE/join")
echo "server.sh: starting the agent for $JOIN on $DISP"

"$BIN/tandem-agent" --join "$JOIN" --display "$DISP" --pre-authorize view \
  --webrtc-bind 127.0.0.1 --name bench < /dev/null &
agent=$!

# If either process ends on its own, end the row visibly (peerbench reports "server died").
wait -n "$portal" "$agent"
rc=$?
echo "server.sh: a Tandem process exited (status $rc); stopping" >&2
cleanup
exit 1
