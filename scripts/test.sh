#!/usr/bin/env bash
# The project's test command (README): format check, clippy, the whole test suite, then
# the CI-sized board builds.
# Tests run in release so that the Verilator-heavy ones are fast; 2 test threads match
# the 2-core machines. It runs scripts/setup.sh first, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Install whatever is missing (idempotent; a few seconds when nothing is).
scripts/setup.sh

# PATH to the pinned PyPI tools (yowasp-*) and YOWASP_CACHE_DIR, written by setup.sh.
if [ -f target/toolchain/env.sh ]; then
    # shellcheck source=/dev/null
    source target/toolchain/env.sh
else
    echo "test.sh: target/toolchain/env.sh not found; run scripts/setup.sh first" >&2
fi

export NEXTEST_TEST_THREADS=2

echo "== cargo fmt --all -- --check"
cargo fmt --all -- --check
echo "== cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo nextest run --workspace --release --no-fail-fast"
cargo nextest run --workspace --release --no-fail-fast
# The boards' bitstream builds (iCEBreaker: asserts its misfit report; ULX3S-85F: board
# top with the 4x4 tile to a bitstream), about 5 minutes on 2 cores (docs/boards.md).
echo "== scripts/board-test.sh"
scripts/board-test.sh
