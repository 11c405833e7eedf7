-- The link-once check (migration 0013) runs AFTER UPDATE instead of BEFORE. A BEFORE ROW trigger makes
-- Postgres lock each row before it updates it: one more WAL record and page change per linked event. An
-- AFTER ROW trigger sees the same OLD and NEW rows (NEW as stored) and refuses the statement just as well by
-- raising. DELETE and TRUNCATE stay refused before they happen.
DROP TRIGGER audit_events_link_once ON audit_events;
--> statement-breakpoint
CREATE TRIGGER audit_events_link_once AFTER UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION warden_audit_link_once();
