#!/usr/bin/env python3
"""Logic levels in front of every register and memory input of a synthesized ECP5 design.

Usage: scripts/logic-depth.py NETLIST.json [--min LEVELS] [--prefix P] [--top N]
                              [--trace CELL.PORT ...] [--json]

NETLIST.json is yosys's netlist of a flow (`minilpu synth --board B --out D` writes
D/top.ecp5.netlist.json). Unlike nextpnr's timing (`scripts/timing-paths.py`), which
is mostly routing on the large dies and moves with every placement, this counts the
logic alone, so a change can be judged before a place and route. Levels: a `LUT4` or a
carry cell's input to its sum is 1, a `PFUMX`/`L6MUX21` (the wide-LUT multiplexers)
0.25, a carry chain's cell to cell 0.1, a LUT RAM's read address 1. Paths start at
flip-flops, block RAM and DSP outputs and inputs of the design, and end at flip-flop,
block RAM and LUT RAM inputs (clocks excepted). It prints:
- a histogram of the endpoints by whole levels;
- the registers and memories with an input at `--min` levels or more (bit suffixes
  dropped), the deepest first, each with its deepest source;
- with `--trace CELL.PORT` (a cell name as printed), the deepest path into that pin,
  one cell per line.
"""

import argparse
import collections
import functools
import json
import re
import signal
import sys

SEQ = {"TRELLIS_FF", "DP16KD", "MULT18X18D", "ALU54B", "TRELLIS_IO", "EHXPLLL", "DCCA",
       "ODDRX1F", "IDDRX1F", "TRELLIS_DPR16X4"}
ENDS = {"TRELLIS_FF", "DP16KD", "TRELLIS_DPR16X4"}
CLOCKS = {"CLK", "WCK", "CLKA", "CLKB"}


def register_of(cell: str) -> str:
    """A register's or memory's name without its bit and packing suffixes."""
    name = re.sub(r"(\.(q|d))?_TRELLIS_FF_Q(_\d+)?.*$", "", cell)
    return re.sub(r"\$.*$", "", name)


def main() -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("netlist", help="yosys JSON netlist (D/top.ecp5.netlist.json)")
    ap.add_argument("--min", type=float, default=5.0, help="list inputs at this many levels or more (default 5)")
    ap.add_argument("--prefix", default="", help="only cells whose names start with this")
    ap.add_argument("--top", type=int, default=30, help="list this many registers (default 30)")
    ap.add_argument("--trace", action="append", default=[], metavar="CELL.PORT",
                    help="print the deepest path into this input (repeatable)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    a = ap.parse_args()
    if a.min < 0 or a.top < 1:
        sys.exit(f"logic-depth: --min must be >= 0 and --top >= 1 (got {a.min}, {a.top})")
    try:
        modules = json.load(open(a.netlist))["modules"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"logic-depth: cannot read a yosys netlist from {a.netlist}: {e}")
    tops = [m for m in modules.values() if m.get("attributes", {}).get("top")]
    if len(tops) != 1:
        sys.exit(f"logic-depth: {a.netlist} has {len(tops)} top modules (want a flattened design)")
    cells = tops[0]["cells"]
    driver = {}  # net bit -> (cell, output port)
    for name, c in cells.items():
        for port, bits in c["connections"].items():
            if c["port_directions"].get(port) == "output":
                for b in bits:
                    if isinstance(b, int):
                        driver[b] = (name, port)

    def inputs(name):
        c = cells[name]
        for port, bits in c["connections"].items():
            if c["port_directions"].get(port) != "input" or port in CLOCKS:
                continue
            if c["type"] == "TRELLIS_DPR16X4" and not port.startswith("RAD"):
                continue
            for b in bits:
                if isinstance(b, int):
                    yield port, b

    def weight(kind, port):
        if kind == "CCU2C":
            return 0.1 if port == "CIN" else 1.0
        return 0.25 if kind in ("PFUMX", "L6MUX21") else 1.0

    sys.setrecursionlimit(200000)

    @functools.lru_cache(maxsize=None)
    def depth(bit):
        """(levels, source cell, next bit on the deepest path) at a net bit."""
        if bit not in driver:
            return 0.0, "(input)", None
        name, _ = driver[bit]
        kind = cells[name]["type"]
        if kind in SEQ:
            return 0.0, name, None
        best = (0.0, name, None)
        for port, b in inputs(name):
            d = depth(b)[0] + weight(kind, port)
            if d > best[0]:
                best = (d, depth(b)[1], b)
        return best

    ends = []  # (levels, cell, port, source)
    for name, c in cells.items():
        if c["type"] in ENDS and name.startswith(a.prefix):
            for port, b in inputs(name):
                d, src, _ = depth(b)
                ends.append((d, name, port, src))
    hist = collections.Counter(int(d) for d, *_ in ends)
    regs = {}
    for d, name, port, src in sorted(ends, reverse=True):
        if d >= a.min:
            r = regs.setdefault(register_of(name), [0, d, register_of(src)])
            r[0] += 1
    result = {
        "endpoints": len(ends),
        "histogram_levels": {str(k): hist[k] for k in sorted(hist)},
        "registers": [{"register": k, "inputs": v[0], "levels": v[1], "source": v[2]}
                      for k, v in list(regs.items())[: a.top]],
        "traces": {},
    }
    for spec in a.trace:
        cell, _, port = spec.rpartition(".")
        if cell not in cells or port not in cells[cell]["connections"]:
            sys.exit(f"logic-depth: no cell input {spec!r} in {a.netlist}")
        path = []
        bits = [b for b in cells[cell]["connections"][port] if isinstance(b, int)]
        b = max(bits, key=lambda x: depth(x)[0]) if bits else None
        while b is not None and b in driver:
            name, out = driver[b]
            path.append({"cell": name, "type": cells[name]["type"], "port": out,
                         "levels": depth(b)[0]})
            b = depth(b)[2]
        result["traces"][spec] = path
    if a.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{len(ends)} register and memory inputs; by whole levels: "
          + ", ".join(f"{k}: {hist[k]}" for k in sorted(hist)))
    print(f"inputs at {a.min} levels or more, by register (inputs, deepest, its source):")
    if not result["registers"]:
        print("  none")
    for r in result["registers"]:
        print(f"  {r['inputs']:5d}  {r['levels']:5.2f}  {r['register']}  <- {r['source']}")
    for spec, path in result["traces"].items():
        print(f"deepest path into {spec} (levels at each cell's output):")
        for p in path:
            print(f"  {p['levels']:5.2f}  {p['type']:12s} {p['cell']}.{p['port']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
