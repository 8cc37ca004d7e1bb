#!/usr/bin/env bash
# wait-for-http.sh URL SECONDS: wait until URL answers 2xx, or fail after SECONDS.
url=$1; limit=${2:-60}
for ((i = 0; i < limit * 4; i++)); do
  if curl -fsS -o /dev/null "$url" 2>/dev/null; then exit 0; fi
  sleep 0.25
done
echo "timed out after ${limit}s waiting for $url" >&2
exit 1
