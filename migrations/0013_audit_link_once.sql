-- Audit events are committed unlinked (seq, prev_hash and hash null) and the chainer links them into the
-- hash chain in batches. The one UPDATE allowed sets those three and linked_at, once, on an unlinked
-- event, and changes nothing else; DELETE and TRUNCATE stay refused. A column added to audit_events must
-- be added to the comparison below.
CREATE OR REPLACE FUNCTION warden_audit_link_once() RETURNS trigger AS $$
BEGIN
  IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
     AND NEW.linked_at IS NOT NULL
     AND ROW(NEW.id, NEW.at, NEW.actor, NEW.action, NEW.agent, NEW.environment, NEW.decision, NEW.reason_code,
             NEW.charter_hash, NEW.run_id, NEW.incident_id, NEW.proposal_id, NEW.details, NEW.written_at)
         IS NOT DISTINCT FROM
         ROW(OLD.id, OLD.at, OLD.actor, OLD.action, OLD.agent, OLD.environment, OLD.decision, OLD.reason_code,
             OLD.charter_hash, OLD.run_id, OLD.incident_id, OLD.proposal_id, OLD.details, OLD.written_at)
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: an event is linked once and never changed'
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
DROP TRIGGER audit_events_no_update_delete ON audit_events;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION warden_audit_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_events_link_once BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION warden_audit_link_once();
