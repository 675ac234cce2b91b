#!/bin/bash
# usage: run.sh label dirA labelB dirB pairs clients extra...
la=$1; da=$2; lb=$3; db=$4; n=$5; c=$6; shift 6
for i in $(seq 1 $n); do
  for side in a b; do
    if [ $side = a ]; then l=$la; d=$da; else l=$lb; d=$db; fi
    up=$(uptime | sed 's/.*load average: //')
    out=$(cd $d && bin/bench w1 --phases throughput --clients $c --warmup 3 --measure 8 "$@" 2>/dev/null | grep '"throughput"\|write_path' | tr '\n' ' ')
    ops=$(echo "$out" | grep -o '"ops_per_s":[0-9.]*' | cut -d: -f2 | tr '\n' ' ')
    p50=$(echo "$out" | grep -o '"p50_ms":[0-9.]*' | cut -d: -f2 | tr '\n' ' ')
    cpu=$(echo "$out" | grep -o '"cpu_us_per_op":[0-9.]*' | cut -d: -f2 | tr '\n' ' ')
    echo "pair=$i $l load=[$up] ops=$ops p50=$p50 cpu=$cpu"
  done
done
