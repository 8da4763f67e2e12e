#!/usr/bin/env bash
# Walks the write breaker through the upstream's addEvent failure cycle with curl, against a
# running `npm start`. For a quick run, start it with short waits:
#   CIRCUIT_BREAKER_RESET_TIMEOUT_MS=2000 CIRCUIT_BREAKER_MAX_RESET_TIMEOUT_MS=8000 npm start
set -euo pipefail
GATEWAY=${GATEWAY:-http://localhost:3000}
MOCK=${MOCK:-http://localhost:3001}
CALLS=${CALLS:-26}

curl -fsS -X POST "$MOCK/__mock/reset" > /dev/null # start the 15-call cycle from call 1

post() {
  curl -s -o /tmp/demo-body.json -D /tmp/demo-headers.txt -w '%{http_code}' \
    -X POST "$GATEWAY/events" -H 'content-type: application/json' -d '{"name":"Demo","userId":"1"}'
}

for i in $(seq 1 "$CALLS"); do
  status=$(post)
  retry_after=$(grep -i '^retry-after:' /tmp/demo-headers.txt | tr -dc '0-9' || true)
  state=$(curl -s "$GATEWAY/ready" | grep -o '"event-api.write":{"state":"[A-Z_]*"' | grep -o '[A-Z_]*"$' | tr -d '"' | head -1)
  printf '%2d  POST /events -> %s%s   write breaker: %s\n' "$i" "$status" "${retry_after:+ (Retry-After: ${retry_after}s)}" "$state"
  if [ "$status" = 503 ] && [ -n "$retry_after" ]; then
    echo "    ... waiting ${retry_after}s as the client is told to"
    sleep "$retry_after"
  fi
done
