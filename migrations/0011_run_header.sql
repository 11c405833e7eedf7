ALTER TABLE "runs" ADD COLUMN "slack_header_owned" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "slack_header_key" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "slack_header_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "slack_header_retry_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "runs_slack_header_idx" ON "runs" USING btree ("started_at") WHERE slack_header_owned;