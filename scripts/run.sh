#!/usr/bin/env bash
# Starts a whole Tandem system on this machine: a portal (SQLite in ./tandem-demo) with two
# demo customer portals and the representative console in the browser, a customer's desktop
# with an agent on it, and a representative's viewer window. Without a
# display, the viewer's window runs on a virtual display too. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data="$root/tandem-demo"
port="${TANDEM_PORT:-8470}"

source scripts/lib.sh
ensure_packages xvfb xterm xdotool x11-utils x11-apps fonts-dejavu-core libx11-xcb1 libturbojpeg0-dev pkg-config binutils
ensure_cargo
echo "Building the web app (customer portal pages and the console)…"
ensure_web_app

echo "Building Tandem (release; the first build takes a few minutes)…"
cargo build --release --bins --locked -q
bin="$root/target/release"
mkdir -p "$data"
chmod 700 "$data"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

xvfb_display=""
start_xvfb() { # starts an Xvfb of geometry $1 on a free display; sets $xvfb_display
  local fifo n; fifo=$(mktemp -u); mkfifo "$fifo"
  Xvfb -displayfd 3 -screen 0 "$1" -noreset -nolisten tcp +extension DAMAGE +extension MIT-SHM \
    3>"$fifo" >/dev/null 2>&1 &
  pids+=($!)
  read -r n <"$fifo"; rm -f "$fifo"
  xvfb_display=":$n"
}

# The administrator's password: generated on the first run, kept readable only by you.
pwfile="$data/admin-password"
if [ ! -s "$pwfile" ]; then
  (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$pwfile")
fi
export TANDEM_ADMIN_PASSWORD; TANDEM_ADMIN_PASSWORD=$(cat "$pwfile")
# The customer app the join pages offer for download: this build, stripped as the packages
# ship it.
mkdir -p "$data/downloads"
strip --strip-unneeded -o "$data/downloads/tandem-agent-linux-x86_64" "$bin/tandem-agent"
"$bin/tandem-portal" --listen "127.0.0.1:$port" --db "$data/portal.sqlite3" \
  --downloads-dir "$data/downloads" >"$data/portal.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$data/portal.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$data/portal.log" || { echo "the portal did not start:"; cat "$data/portal.log"; exit 1; }
# HTTPS with a self-signed certificate (kept in $data/tls): its address carries the pin that
# agent and viewer check the certificate against.
portal_url=$(sed -n 's/.*listening on \(https\?:[^ ]*\).*/\1/p' "$data/portal.log" | head -n1)
portal_page=${portal_url%%#*}
# Two customer portals to try the front of house with (kept in the database; run again to reset).
"$bin/tandem-portal" portal --db "$data/portal.sqlite3" --name help --title "Acme help desk" \
  --mode smart_box --chat-start web_chat --field "Email:email:required" --field "Order number:number" >/dev/null
"$bin/tandem-portal" portal --db "$data/portal.sqlite3" --name queue --title "Acme support line" \
  --mode queue --chat-start web_chat >/dev/null

# The customer's desktop: always a virtual one, so the demo never shares your real screen.
start_xvfb 1280x800x24
customer_display=$xvfb_display
DISPLAY=$customer_display xterm -fa "DejaVu Sans Mono" -fs 11 -geometry 80x20+40+40 -title "customer terminal" &
pids+=($!)

export TANDEM_PORTAL="$portal_url" TANDEM_USER=admin TANDEM_PASSWORD="$TANDEM_ADMIN_PASSWORD"
code_json=$("$bin/tandem-viewer" code new --customer "Demo Customer" --json)
code=$(echo "$code_json" | sed -E 's/.*"code":"([0-9]{9})".*/\1/')
join_url=$(echo "$code_json" | sed -E 's/.*"join_url":"([^"]*)".*/\1/')

viewer_display="${DISPLAY:-}"
if [ -z "$viewer_display" ]; then
  start_xvfb 1600x1000x24
  viewer_display=$xvfb_display
  viewer_note="No display here, so the viewer window runs on the virtual display $viewer_display.
  Look at it:       xwd -root -display $viewer_display -out viewer.xwd   (or run a VNC server on it)"
else
  viewer_note="The viewer window opens on your display ($viewer_display)."
fi
DISPLAY=$viewer_display "$bin/tandem-viewer" join "$code" >"$data/viewer.log" 2>&1 &
pids+=($!)
# The customer app, with its window (session bar, attendees, chat, coloured frame) on the
# customer desktop; agreed in advance here, so the demo needs no click on that desktop.
"$bin/tandem-agent" --join "$join_url" --display "$customer_display" --pre-authorize control \
  --name "demo-customer" --state-dir "$data/agent-state" --log-file "$data/agent.log" \
  <&- >"$data/agent-window.log" 2>&1 &
pids+=($!)

cat <<MSG

Tandem is running.
  Console:          $portal_page/console   (representatives: log in as admin, portal "help";
                    the portal's certificate is self-signed: your browser will warn once)
  Customer portals: $portal_page/p/help    (SmartBox form, Web Chat first)
                    $portal_page/p/queue   (Queue mode)
                    $portal_page/          (the global code page: codes and support keys)
  Portal for tools: $portal_url   (the pin makes agent and viewer trust exactly this certificate)
  Administrator:    admin / $(cat "$pwfile")   (stored in $pwfile)
  Session code:     $code, redeemed by the demo agent on the customer desktop $customer_display
  $viewer_note

What to do next:
  - Open the console in your browser and log in; open a customer portal in another window
    (or a private one) and ask for help: the request appears in the console's List View.
    Accept it, chat, and press "Ask to see the screen" to send the customer to the customer app.
  - In the viewer window, click into the customer's terminal and type: you control $customer_display.
  - Or watch in the browser: in the console, create a code, press "Session" on it, then "Watch
    the screen here", and start the customer app with the code's link. From that pane, "Invite
    a specialist" gives a link that opens the screen in any browser, nothing to install.
    The customer app's window (top right of that desktop) shows who sees and controls, with
    Stop control / End session, and the red frame marks the shared screen.
  - Be the customer yourself (you will be asked for consent), in another terminal:
      export TANDEM_PORTAL='$portal_url' TANDEM_USER=admin
      $bin/tandem-viewer code new --customer You       # prints a code and its link
      $bin/tandem-viewer join <code>                    # opens a window, waits for the customer
    then open the link in a browser on a Linux desktop: "Download Tandem Support" gives one
    file; make it executable (chmod +x) and start it with no arguments: a window asks.
    (Or: $bin/tandem-agent --join <link>; --no-window puts the questions on the terminal.)
  - Logs: $data/*.log
Press Ctrl-C to stop everything.
MSG
wait
