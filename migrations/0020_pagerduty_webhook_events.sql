CREATE TABLE "pagerduty_webhook_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"event_type" text NOT NULL,
	"connection" text NOT NULL,
	"incident_id" text NOT NULL,
	"service" text NOT NULL,
	"environment" text NOT NULL,
	"agent" text NOT NULL,
	"slack_channel" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"slack_ts" text,
	"run_id" text,
	"run_skipped" text,
	"start_claimed_until" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "pagerduty_webhook_events_triggered_idx" ON "pagerduty_webhook_events" USING btree ("incident_id") WHERE event_type = 'incident.triggered';