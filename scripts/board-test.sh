#!/usr/bin/env bash
# Build the boards' bitstreams (minutes; not part of scripts/test.sh's fast path):
#
#   scripts/board-test.sh          the CI-sized build: the iCEBreaker bitstream (must fit
#                                  and meet its clock) and a ULX3S-85F bitstream (85F board
#                                  top with the 4x4 tile), each under a time limit, 30 min
#                                  in all
#   scripts/board-test.sh --full   also the full ulx3s-85f tile (tens of minutes)
#
# Each build is `minilpu synth --board B --json`; see docs/boards.md.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
"$REPO_ROOT/scripts/setup.sh" >/dev/null
# shellcheck disable=SC1091
source target/toolchain/env.sh

TESTS=(board_bitstreams_ci)
case "${1:-}" in
    "") ;;
    --full) TESTS+=(full_ulx3s_85f_bitstream) ;;
    *) echo "board-test.sh: unknown argument '$1' (use --full or nothing)" >&2; exit 2 ;;
esac

start=$(date +%s)
for t in "${TESTS[@]}"; do
    cargo test --release -p minilpu-cli --test board -- --ignored --exact "$t" --nocapture
done
echo "board-test: $(( $(date +%s) - start )) s"
