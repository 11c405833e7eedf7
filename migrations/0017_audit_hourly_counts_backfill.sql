-- The counts of the events linked before audit_hourly_counts existed; the chainer counts each later link
-- in the transaction that makes it (src/audit/audit.chainer.ts), so every linked event is counted once.
INSERT INTO audit_hourly_counts (agent, hour, action, decision, reason, n, tokens)
SELECT agent, date_trunc('hour', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', action, coalesce(decision, ''),
  coalesce(reason_code, ''), count(*),
  coalesce(sum(CASE WHEN action = 'run.step' AND jsonb_typeof(details -> 'tokens') = 'number'
    THEN (details ->> 'tokens')::float8 ELSE 0 END), 0)
FROM audit_events
WHERE seq IS NOT NULL AND agent IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;
