#!/usr/bin/env bash
# Runs every Tandem test on a Debian machine: installs what the tests need (Xvfb, xdotool,
# xterm, X utilities, fonts), builds all binaries, checks formatting and lints, runs all tests.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(xvfb xdotool xterm x11-xserver-utils x11-utils x11-apps fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing test dependencies: ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)"; exit 1; }

cargo fmt --all -- --check
cargo build --workspace --bins --locked
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
