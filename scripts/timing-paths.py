#!/usr/bin/env python3
r"""How many registers' paths are longer than a clock period, block by block (docs/boards.md).

Usage: scripts/timing-paths.py REPORT.json [--period-ns P] [--depth N] [--clock NAME]
                               [--top N] [--pins PREFIX] [--json]

nextpnr prints one critical path per clock, so after a fix the next worst path shows
only in the next run. Its JSON report, written with `--detailed-timing-report`, also
holds the arrival time of every timed endpoint (a flip-flop's or a block RAM's input
pin: the worst path into it, clock-to-out and routing included, without the pin's setup
time, which is under 0.5 ns on the ECP5). This script reads those arrivals and lists:
- the endpoints whose arrival is longer than the period, by block (the first DEPTH
  components of the cell's name, e.g. `card.tile.acc`), and by register or memory
  (bit and slice suffixes dropped), the worst first;
- a histogram of the arrivals, 1 ns per row;
- with `--pins PREFIX`, the worst `--top` endpoint pins of the cells whose names start
  with PREFIX (e.g. `card.tile.acc`), each with the cell and port that drive its net:
  which pins of a block are late (a block RAM's address or its data, a register's
  data or enable), since the report holds no whole paths but the worst one.

Get the report by passing the option through the board flow, whose nextpnr report
(`top.nextpnr.json` in the output directory) then carries the arrivals:

    target/release/minilpu synth --board ulx3s-25f --clock-mhz 100 \
        --nextpnr-arg=--detailed-timing-report --out target/t25
    scripts/timing-paths.py target/t25/top.nextpnr.json --period-ns 10

The arrivals are nextpnr's own figures for its placement and routing, so another seed
moves them; they count paths, they do not sign off timing.
"""

import argparse
import collections
import json
import re
import signal
import sys


def register_of(cell: str) -> str:
    """A cell's register or memory name: the bit, slice and packing suffixes dropped
    (ECP5 `TRELLIS_FF`/`DP16KD` and iCE40 `SB_*` cell names)."""
    name = re.sub(r"\$.*$", "", cell)
    name = re.sub(r"\.(q|d)_TRELLIS_FF_Q(_\d+)?.*$", "", name)
    name = re.sub(r"_TRELLIS_FF_Q(_\d+)?.*$", "", name)
    name = re.sub(r"\.mem\d+\.\d+\.\d+(_RAM)?$", "", name)
    name = re.sub(r"\.spram_\d+_\d+_RAM$", "", name)
    # iCE40: logic cells are named after the LUT or flip-flop they hold.
    name = re.sub(r"(\.[qd])?_SB_.*$", "", name)
    return name


def main() -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", help="nextpnr --report file written with --detailed-timing-report")
    ap.add_argument("--period-ns", type=float, default=10.0, help="count arrivals longer than this (default 10: 100 MHz)")
    ap.add_argument("--depth", type=int, default=3, help="name components that make a block (default 3)")
    ap.add_argument("--clock", help="time this clock's endpoints (default: the clock with the most endpoints)")
    ap.add_argument("--top", type=int, default=15, help="list this many registers (default 15)")
    ap.add_argument("--pins", metavar="PREFIX",
                    help="also list the worst endpoint pins of cells named PREFIX..., with their drivers")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    a = ap.parse_args()
    if a.period_ns <= 0:
        sys.exit(f"timing-paths: --period-ns must be > 0 (got {a.period_ns})")
    if a.depth < 1:
        sys.exit(f"timing-paths: --depth must be >= 1 (got {a.depth})")
    try:
        report = json.load(open(a.report))
    except (OSError, ValueError) as e:
        sys.exit(f"timing-paths: cannot read {a.report}: {e}")
    nets = report.get("detailed_net_timings")
    if nets is None:
        sys.exit(f"timing-paths: {a.report} has no detailed_net_timings (run nextpnr with --detailed-timing-report)")

    by_clock = collections.defaultdict(dict)  # clock -> (cell, port) -> worst arrival
    drivers = {}  # (cell, port) -> "driver cell.port" of its net
    for n in nets:
        for e in n["endpoints"]:
            ev = e["event"]
            if not ev.startswith("posedge ") and not ev.startswith("negedge "):
                continue
            clock = ev.split(" ", 1)[1]
            d = e["delay"]
            t = float(max(d) if isinstance(d, list) else d)
            key = (e["cell"], e["port"])
            if t >= by_clock[clock].get(key, t):
                by_clock[clock][key] = t
                drivers[key] = f"{n.get('driver', '?')}.{n.get('port', '?')}"
    if not by_clock:
        sys.exit(f"timing-paths: {a.report} has no clocked endpoints")
    clocks = sorted(by_clock, key=lambda c: -len(by_clock[c]))
    clock = a.clock or clocks[0]
    if clock not in by_clock:
        sys.exit(f"timing-paths: no endpoints on clock {clock!r}; clocks: {', '.join(clocks)}")
    eps = by_clock[clock]

    def block(cell):
        return ".".join(register_of(cell).split(".")[: a.depth])

    over = {k: t for k, t in eps.items() if t > a.period_ns}
    blocks = collections.defaultdict(lambda: [0, 0.0])
    regs = collections.defaultdict(lambda: [0, 0.0])
    for (cell, _), t in over.items():
        for table, key in ((blocks, block(cell)), (regs, register_of(cell))):
            table[key][0] += 1
            table[key][1] = max(table[key][1], t)
    hist = collections.Counter(int(t) for t in eps.values())
    worst = max(eps.values())
    result = {
        "clock": clock,
        "period_ns": a.period_ns,
        "endpoints": len(eps),
        "over_period": len(over),
        "worst_arrival_ns": round(worst, 2),
        "blocks": [{"block": b, "endpoints": n, "worst_ns": round(w, 2)}
                   for b, (n, w) in sorted(blocks.items(), key=lambda kv: -kv[1][1])],
        "registers": [{"register": r, "endpoints": n, "worst_ns": round(w, 2)}
                      for r, (n, w) in sorted(regs.items(), key=lambda kv: -kv[1][1])[: a.top]],
        "histogram_ns": {str(k): hist[k] for k in sorted(hist)},
    }
    if a.pins is not None:
        pins = sorted(((t, c, p) for (c, p), t in eps.items() if c.startswith(a.pins)), reverse=True)
        result["pins"] = [{"cell": c, "port": p, "arrival_ns": round(t, 2), "driver": drivers[(c, p)]}
                          for t, c, p in pins[: a.top]]
    if a.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"clock {clock}: {len(eps)} endpoints, worst arrival {worst:.2f} ns; "
          f"{len(over)} over {a.period_ns} ns")
    print("by block (endpoints over the period, worst arrival):")
    for b in result["blocks"]:
        print(f"  {b['endpoints']:6d}  {b['worst_ns']:6.2f} ns  {b['block']}")
    print(f"worst registers and memories ({len(regs)} over the period):")
    for r in result["registers"]:
        print(f"  {r['endpoints']:6d}  {r['worst_ns']:6.2f} ns  {r['register']}")
    print("arrivals (ns: endpoints):")
    for k in sorted(hist):
        print(f"  [{k:2d}, {k + 1:2d})  {hist[k]}")
    if a.pins is not None:
        print(f"worst endpoint pins of {a.pins}* (arrival, pin <- driver):")
        if not result["pins"]:
            print("  none: no endpoint's cell name starts with it")
        for e in result["pins"]:
            print(f"  {e['arrival_ns']:6.2f} ns  {e['cell']}.{e['port']} <- {e['driver']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
