CREATE TABLE "proposal_feedback" (
	"id" text PRIMARY KEY NOT NULL,
	"proposal_id" text NOT NULL,
	"agent" text NOT NULL,
	"tool" text NOT NULL,
	"user_id" text NOT NULL,
	"verdict" text NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_mirror" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"thread_ts" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"message_ts" text,
	"permalink" text,
	"last_error" text,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"posted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "slack_requests" (
	"key" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "proposal_feedback_once_uq" ON "proposal_feedback" USING btree ("proposal_id","user_id","source");--> statement-breakpoint
CREATE INDEX "audit_mirror_due_idx" ON "audit_mirror" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "slack_requests_received_idx" ON "slack_requests" USING btree ("received_at");