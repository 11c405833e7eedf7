CREATE SEQUENCE "public"."alert_incident_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "alert_incidents" (
	"id" text PRIMARY KEY NOT NULL,
	"group_key" text NOT NULL,
	"group_key_hash" text NOT NULL,
	"fingerprints" jsonb NOT NULL,
	"service" text NOT NULL,
	"environment" text NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"severity" text NOT NULL,
	"status" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"last_notified_at" timestamp with time zone NOT NULL,
	"alerts" jsonb NOT NULL,
	"alert_count" integer NOT NULL,
	"agent" text NOT NULL,
	"slack_channel" text NOT NULL,
	"slack_ts" text,
	"run_id" text,
	"run_skipped" text,
	"start_claimed_until" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "mode_cap" text;--> statement-breakpoint
CREATE UNIQUE INDEX "alert_incidents_open_group_idx" ON "alert_incidents" USING btree ("group_key_hash") WHERE status = 'open';