#!/usr/bin/env bash
# The README's main job: install what is missing, emit the tile's Verilog, then run a
# demonstration matmul through the verilated RTL and check it against NumPy
# (A.astype(int32) @ B.astype(int32)) and the golden model, printing utilization.
#
#   scripts/demo.sh [PRESET] [M K N]     (default: sim-small 64 32 32)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
preset=${1:-sim-small}
m=${2:-64}
k=${3:-32}
n=${4:-32}

scripts/setup.sh
# shellcheck source=/dev/null
source target/toolchain/env.sh

echo "== building minilpu (release)"
cargo build --release -q -p minilpu-cli
bin=target/release/minilpu
out=target/demo/$preset
mkdir -p "$out"

echo "== emitting Verilog for $preset"
"$bin" emit --preset "$preset" --out "$out"

echo "== random int8 operands A [$m, $k], B [$k, $n] (seed 2026)"
python3 - "$out" "$m" "$k" "$n" <<'PY'
import sys, numpy as np
out, m, k, n = sys.argv[1], *map(int, sys.argv[2:])
rng = np.random.default_rng(2026)
a = rng.integers(-128, 128, (m, k), dtype=np.int8)
b = rng.integers(-128, 128, (k, n), dtype=np.int8)
a[0, 0], b[0, 0] = -128, -128          # the edge product (-128) * (-128)
np.save(f"{out}/a.npy", a)
np.save(f"{out}/b.npy", b)
PY

for backend in model verilator; do
    echo "== matmul on the $backend backend"
    "$bin" matmul --preset "$preset" --a "$out/a.npy" --b "$out/b.npy" \
        --out "$out/c_$backend.npy" --backend "$backend" --json | tee "$out/report_$backend.json"
done

python3 - "$out" <<'PY'
import json, sys, numpy as np
out = sys.argv[1]
a, b = np.load(f"{out}/a.npy"), np.load(f"{out}/b.npy")
ref = a.astype(np.int32) @ b.astype(np.int32)
rtl, model = np.load(f"{out}/c_verilator.npy"), np.load(f"{out}/c_model.npy")
r = json.load(open(f"{out}/report_verilator.json"))
ok = np.array_equal(rtl, ref) and np.array_equal(model, ref) and r["cycles"] == r["predicted_cycles"]
print(f"result check: RTL == NumPy: {np.array_equal(rtl, ref)}, model == NumPy: {np.array_equal(model, ref)}, "
      f"cycles {r['cycles']} == predicted {r['predicted_cycles']}: {r['cycles'] == r['predicted_cycles']}")
print(f"utilization: {r['utilization']:.3f} of {r['mac_units']} MAC units "
      f"({r['macs']} MACs in {r['cycles']} cycles; batch-1 bound {r['gemv_utilization_bound']:.2f})")
sys.exit(0 if ok else 1)
PY
