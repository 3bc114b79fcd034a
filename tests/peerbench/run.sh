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
# $PB_SCRATCH/results/<runid>/ (table.txt, JSON per row, raw logs, probe.log).
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
BIN=$(cd "$BIN" && pwd)   # the rows run with the scratch directory as working directory
command -v xdotool >/dev/null || echo "note: xdotool missing; the tandem-window row will fail" >&2

mkdir -p "$SCRATCH"
SRC=$(cd "$SRC" && pwd)
# The harness files are read-only in the shared copy: replace them, keep venv/ run/ results/.
for f in "$SRC"/* "$SRC"/.gitignore; do
  [ -e "$f" ] || continue
  case "$(basename "$f")" in venv|run|results) continue ;; esac
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
before=$(ls -d "$SCRATCH"/results/*/ 2>/dev/null | sort | tail -n 1)
rc=0
"$SCRATCH/run.sh" "$@" || rc=$?
# Keep this run's probe log with its results (the harness overwrites run/probe.log on the next
# run), so latency.py can re-analyse it later.
after=$(ls -d "$SCRATCH"/results/*/ 2>/dev/null | sort | tail -n 1)
if [ -n "$after" ] && [ "$after" != "$before" ] && [ -s "$SCRATCH/run/probe.log" ] \
   && [ "${PB_PROBE:-1}" = 1 ]; then
  cp "$SCRATCH/run/probe.log" "$after/probe.log"
fi
exit $rc
