#!/usr/bin/env bash
# `make demo`: trailguard on the bundled sample trail (real public CloudTrail records).
set -euo pipefail
bin=${1:-.venv/bin}
sample=examples/sample-trail
tg() { echo; echo "\$ trailguard $*"; "$bin/trailguard" "$@" || true; }

echo "Sample: $(find "$sample/AWSLogs" -type f | wc -l) trail log files under $sample/AWSLogs (see $sample/SOURCES.md)"

tg pattern test --only-matching \
  '{"detail-type":["AWS Console Sign In via CloudTrail"],"detail":{"userIdentity":{"type":["Root"]}}}' \
  "$sample/AWSLogs"

tg pattern test --only-matching \
  '{"detail":{"eventName":["ConsoleLogin"],"userIdentity":{"type":["IAMUser"]},"additionalEventData":{"MFAUsed":[{"anything-but":{"equals-ignore-case":"yes"}}]}}}' \
  "$sample/AWSLogs"

tg pattern test --only-matching \
  '{"source":["aws.iam"],"detail":{"eventName":[{"prefix":"Create"},{"prefix":"Attach"},{"prefix":"Put"},{"prefix":"Delete"}]}}' \
  "$sample/AWSLogs"

tg pattern test --only-matching \
  '{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging","DeleteTrail"]}}' \
  "$sample/AWSLogs"

tg pattern validate '{"detail":{"eventName":[{"wildcard":"Console*"}]}}'
tg pattern validate '{"detail":{"eventName":[{"prefix":42}]}}'
