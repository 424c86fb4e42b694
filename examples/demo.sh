#!/usr/bin/env bash
# `make demo`: trailguard on the bundled sample trail (real public CloudTrail records).
set -euo pipefail
bin=${1:-.venv/bin}
sample=examples/sample-trail
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
export TRAILGUARD_DB="$state/trailguard.db"
tg() { printf '\n\033[1m$ trailguard %s\033[0m\n' "$*"; "$bin/trailguard" "$@" || true; }

echo "Sample: $(find "$sample/AWSLogs" -type f -name '*.json*' | wc -l) trail log files under $sample/AWSLogs (see $sample/SOURCES.md)"

# The main job: the built-in rules over the trail, high severity and above.
tg scan --min-severity high --no-progress "$sample"

# Everything, as JSON Lines, kept in the alert store; then read back by rule.
"$bin/trailguard" scan --no-progress -f jsonl -o "$state/alerts.jsonl" "$sample" 2>/dev/null || true
echo
echo "All alerts: $(wc -l < "$state/alerts.jsonl") (JSON Lines in $state/alerts.jsonl)"
tg alerts list --rule console-login-without-mfa,cloudtrail-logging-stopped

# An EventBridge pattern, tested offline exactly as EventBridge would match it.
tg pattern test --only-matching \
  '{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging","DeleteTrail"]}}' "$sample"

# The CIS 4.6 CloudWatch Logs metric filter, and its alarm replayed over the trail.
tg filter test -q '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }' "$sample"
tg alarm replay --filter '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }' "$sample"

# Invalid patterns are refused with AWS's own words.
tg pattern validate '{"detail":{"eventName":[{"prefix":42}]}}'
