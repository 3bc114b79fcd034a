#!/usr/bin/env bash
# Runs every Tandem test on a Debian machine: installs what the tests need (Xvfb, xdotool,
# xterm, X utilities, fonts, libjpeg-turbo, and iproute2 + iptables for the relay test in a
# network namespace), builds all binaries, checks formatting and lints, runs all tests.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh
ensure_packages xvfb xdotool xterm x11-xserver-utils x11-utils x11-apps fonts-dejavu-core iproute2 iptables libturbojpeg0-dev pkg-config
ensure_cargo

cargo fmt --all -- --check
cargo build --workspace --bins --locked
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
