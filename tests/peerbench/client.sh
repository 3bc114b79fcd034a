#!/usr/bin/env bash
# peerbench client side for Tandem: the representative.
#
#   client.sh headless PORT LOG
#   client.sh window   PORT LOG VDISPLAY PY PBDIR
#
# Both modes log in to the portal that server.sh started on PORT (as admin, with the row's
# random password from the shared state directory), create a session code, hand its join URL
# to server.sh (which then starts the agent), and join the session:
#
# headless  `tandem-viewer join CODE --headless --bench-log LOG`: the viewer appends one
#           peerbench client-log line per complete screen update,
#           {"t": CLOCK_MONOTONIC s, "b": bytes, "r": [[x,y,w,h],...]}.
#           Latency = probe flip -> complete update received (like the RFB rows).
# window    the real window viewer on VDISPLAY, plus PBDIR/pixwatch.py on that display.
#           The window opens scaled down (at most 1280x800 / 80 % of the monitor); with no
#           window manager it sits at 0,0 and obeys a plain X resize, so once the first
#           picture has arrived this script resizes it to the size of VDISPLAY with xdotool,
#           where the viewer draws the picture 1:1 (no scaling, no border). Only then is
#           pixwatch started. Latency = probe flip -> pixel on the viewer's screen (like the
#           RDP rows). No byte count: the data travels over WebRTC (UDP/SCTP/DTLS), which
#           tcpcount.py cannot relay, and the window viewer has no --bench-log.
#
# stdin of the viewer is kept open (`sleep infinity`): the headless viewer leaves the session
# when its stdin closes. Everything stays in this script's process group, which peerbench
# signals at the end of the row.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BIN=${TANDEM_BIN:-$REPO/target/release}
MODE=${1:?usage: client.sh headless|window PORT LOG [VDISPLAY PY PBDIR]}
PORT=${2:?port}
LOG=${3:?log}
STATE=${TMPDIR:-/tmp}/tandem-peerbench-$PORT
PORTAL=http://127.0.0.1:$PORT

[ -x "$BIN/tandem-viewer" ] || { echo "client.sh: $BIN/tandem-viewer missing" >&2; exit 1; }

# peerbench starts us after the portal listens; the password file is written before that.
for _ in $(seq 100); do [ -s "$STATE/password" ] && break; sleep 0.1; done
[ -s "$STATE/password" ] || { echo "client.sh: no $STATE/password (is server.sh running?)" >&2; exit 1; }
TANDEM_PASSWORD=$(cat "$STATE/password")
export TANDEM_PASSWORD
V=("$BIN/tandem-viewer" --portal "$PORTAL" --user admin --webrtc-bind 127.0.0.1)

json=$("${V[@]}" code new --customer bench --json) || { echo "client.sh: code new failed" >&2; exit 1; }
code=$(sed -n 's/.*"code":"\([0-9]*\)".*/\1/p' <<< "$json")
url=$(sed -n 's/.*"join_url":"\([^"]*\)".*/\1/p' <<< "$json")
[ -n "$code" ] && [ -n "$url" ] || { echo "client.sh: unexpected answer: $json" >&2; exit 1; }
printf '%s\n' "$url" > "$STATE/join.tmp" && mv "$STATE/join.tmp" "$STATE/join"
echo "client.sh: code $code, join URL handed to server.sh"

case "$MODE" in
headless)
  exec "${V[@]}" join "$code" --headless --bench-log "$LOG" < <(exec sleep infinity)
  ;;
window)
  VDISPLAY=${4:?vdisplay} PY=${5:?python} PBDIR=${6:?peerbench dir}
  command -v xdotool >/dev/null || { echo "client.sh: window mode needs xdotool" >&2; exit 1; }
  DISPLAY=$VDISPLAY "${V[@]}" join "$code" < <(exec sleep infinity) &
  viewer=$!
  trap 'kill $viewer ${watch:-} 2>/dev/null; exit 143' TERM INT HUP
  read -r SW SH < <(DISPLAY=$VDISPLAY xdotool getdisplaygeometry)
  # Wait (<= 30 s) for the window to show a picture (its title leaves "waiting for the
  # customer's screen"), then resize it to the full display until it stays there: the viewer
  # itself asks for its scaled-down size once, when the first picture arrives.
  ok=0 stable=0
  for _ in $(seq 300); do
    kill -0 "$viewer" 2>/dev/null || { echo "client.sh: the viewer exited" >&2; exit 1; }
    win=$(DISPLAY=$VDISPLAY xdotool search --onlyvisible --name '^Tandem' 2>/dev/null | head -n 1)
    if [ -n "$win" ]; then
      name=$(DISPLAY=$VDISPLAY xdotool getwindowname "$win" 2>/dev/null)
      if [[ "$name" != *"waiting for the customer"* ]]; then
        geo=$(DISPLAY=$VDISPLAY xwininfo -id "$win" | awk '/Absolute upper-left X/{x=$NF} /Absolute upper-left Y/{y=$NF} /^ *Width/{w=$NF} /^ *Height/{h=$NF} END{print x, y, w, h}')
        if [ "$geo" = "0 0 $SW $SH" ]; then
          stable=$((stable + 1))
          [ $stable -ge 3 ] && { ok=1; break; }
        else
          stable=0
          DISPLAY=$VDISPLAY xdotool windowmove "$win" 0 0 windowsize "$win" "$SW" "$SH"
        fi
      fi
    fi
    sleep 0.1
  done
  if [ $ok != 1 ]; then
    echo "client.sh: the window is not 1:1 at 0,0 (${geo:-no window}); not starting pixwatch" >&2
    wait "$viewer"; exit 1
  fi
  echo "client.sh: window $win is ${SW}x${SH} at 0,0 (1:1); starting pixwatch"
  "$PY" "$PBDIR/pixwatch.py" --display "$VDISPLAY" --log "$LOG.pix" &
  watch=$!
  wait -n "$viewer" "$watch"
  echo "client.sh: viewer or pixwatch exited" >&2
  kill "$viewer" "$watch" 2>/dev/null
  exit 1
  ;;
*)
  echo "client.sh: unknown mode $MODE" >&2; exit 2 ;;
esac
