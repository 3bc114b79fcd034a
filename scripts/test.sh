#!/usr/bin/env bash
# Runs every Tandem test on a Debian machine: installs what the tests need (Xvfb, xdotool, xclip,
# xterm, X utilities, fonts, libjpeg-turbo, iproute2 + iptables for the relay test in a
# network namespace, the system's CA store for TLS), builds all binaries, checks formatting
# and lints, fuzzes each protocol target for 30 s (scripts/fuzz.sh; it replays every crash
# ever found first), builds the web app (Node.js from Debian; npm packages from its lockfile)
# and runs its type check and unit tests, then runs all tests (the browser ones in Debian's
# Chromium through playwright-core). The packaging test installs and purges the Debian
# packages on this machine (systemd for systemd-analyze, binutils for strip, curl for /healthz).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh
# A one-off build gains nothing from incremental state (gigabytes on disk); say how much disk
# there is, since a full run needs several gigabytes.
export CARGO_INCREMENTAL=0
df -h . | tail -1 | awk '{ print "disk: " $4 " free of " $2 }'
ensure_packages xvfb xdotool xclip xterm x11-xserver-utils x11-utils x11-apps fonts-dejavu-core iproute2 iptables libturbojpeg0-dev pkg-config ca-certificates chromium \
  systemd binutils curl passwd util-linux procps
ensure_cargo
ensure_web_app
(cd web && npm test --silent)

cargo fmt --all -- --check
cargo build --workspace --bins --locked
cargo clippy --workspace --all-targets --locked -- -D warnings
# Fuzzing first, so the test runner's summary stays the last thing printed.
bash scripts/fuzz.sh "${TANDEM_FUZZ_SECONDS:-30}"
cargo test --workspace --locked
