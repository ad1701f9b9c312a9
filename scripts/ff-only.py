#!/usr/bin/env python3
"""Flip-flops that cannot share a logic cell with a LUT, per block (iCE40).

Usage: scripts/ff-only.py NETLIST.json [--depth N]

Reads the flattened yosys netlist of a board build (`top.json` next to the nextpnr log
of `minilpu synth --board icebreaker`) and counts, per hierarchy prefix of the
flip-flop's name, the SB_DFF* cells whose D input is not driven by a LUT that drives
only that flip-flop: nextpnr gives each of those a logic cell of its own (with a
pass-through LUT), so they cost as much as a LUT. Also counts every flip-flop.
"""
import argparse
import collections
import json
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("netlist")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--min", type=int, default=8)
    a = ap.parse_args()
    d = json.load(open(a.netlist))
    mods = d["modules"]
    top = next(m for m in mods.values() if m.get("attributes", {}).get("top"))
    cells = top["cells"]
    drivers = {}
    sinks = collections.Counter()
    for name, c in cells.items():
        for port, bits in c["connections"].items():
            out = c.get("port_directions", {}).get(port) == "output"
            for b in bits:
                if isinstance(b, str):
                    continue
                if out:
                    drivers[b] = (name, c["type"])
                else:
                    sinks[b] += 1
    total = collections.Counter()
    alone = collections.Counter()
    for name, c in cells.items():
        if not c["type"].startswith("SB_DFF"):
            continue
        key = ".".join(name.lstrip("\\").replace("$", ".").split(".")[: a.depth])
        total[key] += 1
        b = c["connections"]["D"][0]
        drv = drivers.get(b)
        if isinstance(b, str) or drv is None or drv[1] != "SB_LUT4" or sinks[b] != 1:
            alone[key] += 1
    print(f"{'block':50s} {'FF':>6s} {'alone':>6s}")
    for k, n in sorted(alone.items(), key=lambda kv: -kv[1]):
        if n >= a.min:
            print(f"{k:50s} {total[k]:6d} {n:6d}")
    print(f"{'total':50s} {sum(total.values()):6d} {sum(alone.values()):6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
