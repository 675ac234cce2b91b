#!/bin/bash
# usage: run3.sh rounds "label=bench-script extra flags" ... -- common flags
n=$1; shift; sides=(); while [ "$1" != "--" ]; do sides+=("$1"); shift; done; shift
for i in $(seq 1 $n); do
  for sd in "${sides[@]}"; do
    l=${sd%%=*}; rest=${sd#*=}; script=${rest%% *}; extra=""; [ "$script" != "$rest" ] && extra=${rest#* }
    up=$(uptime | sed 's/.*load average: //')
    out=$($script w1 --phases throughput "$@" $extra 2>/dev/null | grep '"throughput"\|write_path' | tr '\n' ' ')
    ops=$(echo "$out" | grep -o '"ops_per_s":[0-9.]*' | cut -d: -f2 | tr '\n' ' ')
    p50=$(echo "$out" | grep -o '"p50_ms":[0-9.]*' | cut -d: -f2 | tr '\n' ' ')
    cpu=$(echo "$out" | grep -o '"cpu_us_per_op":[0-9.]*' | cut -d: -f2 | tr '\n' ' ')
    echo "round=$i $l load=[$up] ops=$ops p50=$p50 cpu=$cpu"
  done
done
