#!/usr/bin/env bash
# Increments and reads the replicated counter of the samples module (CounterNode, group "counter") through the
# Pekko Raft gRPC gateway, from a shell, with buf curl (npm package @bufbuild/buf, pinned in package.json):
#
#   npm ci                                   # once, in this directory
#   ./counter.sh [HOST:PORT] [DELTA]         # default 127.0.0.1:9091 and 1
#
# It opens a client session, submits {"delta":DELTA} with the session and sequence 1 (sent again, with the same
# sequence, when the gateway answers UNAVAILABLE or DEADLINE_EXCEEDED: the group applies it at most once), reads
# the counter (LINEARIZABLE) and prints the group's status. The schema comes from the gateway's .proto in this
# repository (--schema); without it, buf curl asks the gateway itself (server reflection, on by default).
# Protobuf's JSON carries bytes fields as base64, hence the base64 around the counter's JSON payloads.
#
# PEKKO_RAFT_TOKEN=...  sent as "authorization: Bearer ..." (pekko-raft.gateway.auth)
# BUF=...               the buf to run (default: node_modules/.bin/buf here, else buf on the PATH)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
endpoint="${1:-127.0.0.1:9091}"
delta="${2:-1}"
group="counter"
[[ "$delta" =~ ^-?[0-9]+$ ]] || { echo "counter.sh: DELTA must be a whole number, was '$delta'" >&2; exit 2; }

buf="${BUF:-$here/node_modules/.bin/buf}"
if [[ ! -x "$buf" ]]; then
  buf="$(command -v buf || true)"
  [[ -n "$buf" ]] || { echo "counter.sh: no buf: run 'npm ci' in $here (or set BUF)" >&2; exit 2; }
fi
schema="$here/../../src/main/protobuf"
headers=()
[[ -n "${PEKKO_RAFT_TOKEN:-}" ]] && headers=(-H "authorization: Bearer $PEKKO_RAFT_TOKEN")

# call METHOD JSON: one unary call; prints the response as JSON. buf curl's exit code is the gRPC status code
# shifted left by 3 (UNAVAILABLE 14 -> 112, DEADLINE_EXCEEDED 4 -> 32), below 8 for its own errors.
call() {
  "$buf" curl --protocol grpc --http2-prior-knowledge --schema "$schema" --timeout 10s ${headers[@]+"${headers[@]}"} \
    -d "$2" "http://$endpoint/pekkoraft.v1.RaftService/$1"
}

# field NAME: the value of a top-level string field of the JSON on stdin (buf prints one field per line).
field() {
  sed -n "s/^ *\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" | head -n 1
}

b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
unb64() { printf '%s' "$1" | base64 -d; }

session="$(call OpenSession "{\"group\": \"$group\"}" | field sessionId)"
echo "session $session opened through $endpoint"

request="{\"group\": \"$group\", \"payload\": \"$(b64 "{\"delta\":$delta}")\", \"sessionId\": \"$session\", \"sequence\": \"1\"}"
for attempt in 1 2 3 4 5; do
  if response="$(call Submit "$request")"; then break; else code=$?; fi
  if [[ $code -ne 112 && $code -ne 32 ]] || [[ $attempt -eq 5 ]]; then
    echo "counter.sh: Submit failed (buf curl exit code $code)" >&2
    exit 1
  fi
  echo "outcome unknown (exit code $code): sending the same session and sequence again"
  sleep 1
done
echo "added $delta: the counter is now $(unb64 "$(field result <<<"$response")") (log index $(field index <<<"$response"))"

response="$(call Query "{\"group\": \"$group\", \"payload\": \"$(b64 '{}')\", \"consistency\": \"LINEARIZABLE\"}")"
echo "read (LINEARIZABLE): $(unb64 "$(field result <<<"$response")")"

echo "status:"
call Status "{\"group\": \"$group\"}"
