#!/usr/bin/env bash
# Runs peerbench (the shared side-by-side harness) with Tandem's rows added.
#
#   tests/peerbench/run.sh [peerbench run.sh arguments...]
#   tests/peerbench/run.sh -r 'x0vnc.*tight|tandem' -n 3
#
# Copies the harness from $PEERBENCH_DIR (default: ../shared/peerbench next to the repository
# root) into a scratch directory ($PB_SCRATCH, default <repo>/target/peerbench; venv/ and
# results/ are kept there between runs), appends this directory's servers.conf with @HERE@
# filled in, and runs the copy's run.sh with the given arguments. Results end up in
# $PB_SCRATCH/results/<runid>/ (table.txt, JSON per row, raw logs).
#
# Needs the release binaries: cargo build --release --workspace --bins  (or set TANDEM_BIN).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SRC=${PEERBENCH_DIR:-$REPO/../shared/peerbench}
SCRATCH=${PB_SCRATCH:-$REPO/target/peerbench}
BIN=${TANDEM_BIN:-$REPO/target/release}

[ -f "$SRC/run.sh" ] && [ -f "$SRC/servers.conf" ] || {
  echo "peerbench not found at $SRC (set PEERBENCH_DIR)" >&2; exit 1; }
for b in tandem-portal tandem-agent tandem-viewer; do
  [ -x "$BIN/$b" ] || { echo "$BIN/$b missing: cargo build --release --workspace --bins" >&2; exit 1; }
done
command -v xdotool >/dev/null || echo "note: xdotool missing; the tandem-window row will fail" >&2

mkdir -p "$SCRATCH"
SRC=$(cd "$SRC" && pwd)
# The harness files are read-only in the shared copy: replace them, keep venv/ run/ results/.
for f in "$SRC"/* "$SRC"/.gitignore; do
  [ -e "$f" ] || continue
  rm -rf "$SCRATCH/$(basename "$f")"
  cp -r "$f" "$SCRATCH/"
  chmod -R u+w "$SCRATCH/$(basename "$f")"
done
{
  echo
  echo "# ---- Tandem rows (from $HERE/servers.conf) ----"
  grep -Ev '^[[:space:]]*(#|$)' "$HERE/servers.conf" | sed "s|@HERE@|$HERE|g"
} >> "$SCRATCH/servers.conf"

export TANDEM_BIN=$BIN
exec "$SCRATCH/run.sh" "$@"
