#!/usr/bin/env bash
# Fuzzes tandem-protocol's parsers and state machines with cargo-fuzz (docs/fuzzing.md):
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 45)
# Builds every target in fuzz/ once, replays the crash inputs kept in fuzz/regressions/ (a
# past crash fails the run until it is fixed), then fuzzes each target for SECONDS from its
# seed corpus, its regressions and a local working corpus (fuzz/work/, not committed). New
# crash inputs are copied to fuzz/regressions/<target>/. Prints executions per target and
# exits non-zero if any target crashed. Needs a nightly toolchain (sanitizers).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-45}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (a positive whole number, default 45)" >&2
  exit 2
fi

source scripts/lib.sh
# libjpeg-turbo for tandem-protocol; g++ builds libFuzzer itself.
ensure_packages libturbojpeg0-dev pkg-config g++
ensure_cargo
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: no nightly Rust toolchain ('cargo +nightly' fails). cargo-fuzz needs one for" >&2
  echo "its sanitizer flags: rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "Installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# Same limits as a long campaign (docs/fuzzing.md): a single input may use at most 2 GB of
# memory, 1 GB in one allocation, 10 s of time; beyond that it counts as a crash.
limits=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10)

# The lines of a libFuzzer log that say what went wrong (a panic's message is on the line
# after "panicked at").
highlights() {
  awk '/panicked at/ { print; getline; print; next }
       /^Running:|ERROR: libFuzzer|ERROR: AddressSanitizer|^SUMMARY|Test unit written/ { print }' "$1" |
    head -12
}

started=$SECONDS
echo "== building the fuzz targets (cargo +nightly fuzz build)"
cargo +nightly fuzz build
mapfile -t targets < <(cargo +nightly fuzz list)
build_secs=$((SECONDS - started))

mkdir -p fuzz/work/logs
declare -A result execs rate
failed=0

# 1. Past crashes, each input run once: they must pass now.
for t in "${targets[@]}"; do
  result[$t]="ok"
  dir="fuzz/regressions/$t"
  mapfile -t inputs < <(find "$dir" -type f 2>/dev/null | sort)
  [ ${#inputs[@]} -eq 0 ] && continue
  echo "== $t: replaying ${#inputs[@]} regression input(s) from $dir"
  if ! cargo +nightly fuzz run "$t" "${inputs[@]}" -- "${limits[@]}" \
    >"fuzz/work/logs/$t.regressions.log" 2>&1; then
    result[$t]="REGRESSION FAILS"
    failed=1
    highlights "fuzz/work/logs/$t.regressions.log"
    echo "   full log: fuzz/work/logs/$t.regressions.log"
  fi
done

# 2. Fuzzing. New corpus entries go to the first folder (fuzz/work/<target>), so the
# committed seeds and regressions stay as they are.
for t in "${targets[@]}"; do
  execs[$t]="-"
  rate[$t]="-"
  if [ "${result[$t]}" != "ok" ]; then
    continue # it would stop at once on its own regression input
  fi
  corpora=("fuzz/work/$t" "fuzz/corpus/$t")
  [ -d "fuzz/regressions/$t" ] && corpora+=("fuzz/regressions/$t")
  mkdir -p "fuzz/work/$t" "fuzz/corpus/$t"
  log="fuzz/work/logs/$t.log"
  mark="fuzz/work/logs/$t.started"
  touch "$mark"
  echo "== $t: fuzzing for ${seconds}s"
  if cargo +nightly fuzz run "$t" "${corpora[@]}" -- \
    -max_total_time="$seconds" -print_final_stats=1 "${limits[@]}" >"$log" 2>&1; then
    status=ok
  else
    status=crash
  fi
  # libFuzzer's final statistics; the last "#N" status line if it died before printing them.
  n=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  [ -z "$n" ] && n=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$log" | tail -1)
  execs[$t]="${n:-?}"
  r=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  rate[$t]="${r:--}"
  if [ "$status" = ok ]; then
    continue
  fi
  failed=1
  result[$t]="CRASH"
  highlights "$log"
  # Keep the inputs libFuzzer wrote so they are replayed by every later run.
  mkdir -p "fuzz/regressions/$t"
  while IFS= read -r artifact; do
    cp "$artifact" "fuzz/regressions/$t/"
    echo "   kept as fuzz/regressions/$t/$(basename "$artifact")"
    result[$t]="CRASH: fuzz/regressions/$t/$(basename "$artifact")"
  done < <(find "fuzz/artifacts/$t" -type f -newer "$mark" \
    \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) 2>/dev/null)
  echo "   full log: $log"
done

echo
echo "Fuzzing summary: ${seconds}s per target, build ${build_secs}s, total $((SECONDS - started))s"
printf '%-16s %14s %10s  %s\n' target executions "exec/s" result
for t in "${targets[@]}"; do
  printf '%-16s %14s %10s  %s\n' "$t" "${execs[$t]}" "${rate[$t]}" "${result[$t]}"
done
if [ "$failed" -ne 0 ]; then
  echo
  echo "Crashes: reproduce one with  cargo +nightly fuzz run <target> <input>"
  echo "(inputs under fuzz/regressions/<target>/ are replayed by every run until fixed)."
  exit 1
fi
