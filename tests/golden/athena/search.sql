-- trailguard search --since 2026-01-01T00:00:00Z --until 2026-01-02T00:00:00Z --exclude-event-name Describe* --access-key AKIAIOSFODNN7EXAMPLE --write-only yes
SELECT *
FROM cloudtrail_logs
WHERE "timestamp" >= '2026/01/01'
  AND "timestamp" <= '2026/01/03'
  AND eventtime >= '2026-01-01T00:00:00Z'
  AND eventtime <= '2026-01-02T00:00:00Z'
  AND useridentity.accesskeyid = 'AKIAIOSFODNN7EXAMPLE'
  AND NOT COALESCE(eventname, '') LIKE 'Describe%' ESCAPE '\'
  AND COALESCE(readonly, '') <> 'true';
