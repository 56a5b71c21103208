#!/usr/bin/env bash
# Fuzzes the bale reader for SECONDS (default 60) with cargo-fuzz on the nightly
# toolchain, starting from the format's test vectors. Usage: scripts/fuzz.sh [SECONDS]
. "$(dirname "$0")/lib.sh"
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || { log "cargo install cargo-fuzz"; cargo install --quiet --locked cargo-fuzz; }
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cd "$ROOT/crates/bale-format/fuzz"
corpus="$WORK/fuzz-corpus"
mkdir -p "$corpus"
cp "$ROOT"/format-spec/vectors/*.bale "$corpus"/
log "fuzzing the reader for ${seconds}s"
cargo +nightly fuzz run reader "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 2>&1 |
    tee "$WORK/fuzz.log" | grep -E '^(#[0-9]+ +DONE|Done|stat::|==|SUMMARY|panicked|ERROR)' || true
# libFuzzer exits non-zero on a crash; tee hides that, so check the log.
if grep -qE 'panicked|ERROR: libFuzzer|SUMMARY: .*Sanitizer' "$WORK/fuzz.log"; then
    log "the fuzzer found a failure; see $WORK/fuzz.log and crates/bale-format/fuzz/artifacts/"
    exit 1
fi
