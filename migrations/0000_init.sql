CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"agent" text NOT NULL,
	"charter_hash" text NOT NULL,
	"requester" text NOT NULL,
	"incident_id" text,
	"environment" text,
	"state" text NOT NULL,
	"tool_calls" integer DEFAULT 0 NOT NULL,
	"tokens_used" integer DEFAULT 0 NOT NULL,
	"denied_count" integer DEFAULT 0 NOT NULL,
	"slack_channel" text,
	"slack_thread_ts" text,
	"summary" text,
	"error" text,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" text PRIMARY KEY NOT NULL,
	"proposal_id" text NOT NULL,
	"action_hash" text NOT NULL,
	"approver" text NOT NULL,
	"decision" text NOT NULL,
	"reason" text,
	"groups" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "proposals" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text,
	"agent" text NOT NULL,
	"tool" text NOT NULL,
	"args" jsonb NOT NULL,
	"environment" text NOT NULL,
	"charter_hash" text NOT NULL,
	"action_hash" text NOT NULL,
	"state" text NOT NULL,
	"decision" text NOT NULL,
	"reason_code" text NOT NULL,
	"reason" text NOT NULL,
	"rule" text,
	"approvals_required" integer DEFAULT 0 NOT NULL,
	"approval_spec" jsonb,
	"requester" text NOT NULL,
	"incident_id" text,
	"source" text NOT NULL,
	"rationale" text,
	"evidence" jsonb,
	"idempotency_key" text NOT NULL,
	"result" jsonb,
	"error" text,
	"state_reason" text,
	"slack_channel" text,
	"slack_ts" text,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	"execution_started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"executed_by" text
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"agent" text,
	"environment" text,
	"decision" text,
	"reason_code" text,
	"charter_hash" text,
	"run_id" text,
	"incident_id" text,
	"proposal_id" text,
	"details" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "breaker_hits" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"agent" text NOT NULL,
	"breaker" text NOT NULL,
	"key" text NOT NULL,
	"proposal_id" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "breaker_states" (
	"agent" text NOT NULL,
	"breaker" text NOT NULL,
	"key" text NOT NULL,
	"state" text NOT NULL,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"trial_in_flight" boolean DEFAULT false NOT NULL,
	"opened_at" timestamp with time zone,
	"cool_down_until" timestamp with time zone,
	"trip_count" integer DEFAULT 0 NOT NULL,
	"last_reason" text,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "breaker_states_agent_breaker_key_pk" PRIMARY KEY("agent","breaker","key")
);
--> statement-breakpoint
CREATE TABLE "kill_switches" (
	"scope" text PRIMARY KEY NOT NULL,
	"engaged" boolean NOT NULL,
	"engaged_by" text,
	"reason" text,
	"engaged_at" timestamp with time zone,
	"released_by" text,
	"released_at" timestamp with time zone,
	"generation" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credential_leases" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"tool" text NOT NULL,
	"environment" text NOT NULL,
	"run_id" text,
	"proposal_id" text NOT NULL,
	"agent" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_reason" text,
	CONSTRAINT "credential_leases_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "sandbox_changes" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"tool" text NOT NULL,
	"environment" text NOT NULL,
	"result" jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_deploys" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" text NOT NULL,
	"service" text NOT NULL,
	"version" text NOT NULL,
	"previous_version" text,
	"deployed_by" text NOT NULL,
	"deployed_at" timestamp with time zone NOT NULL,
	"status" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_incidents" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"severity" text NOT NULL,
	"status" text NOT NULL,
	"service" text NOT NULL,
	"environment" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"environment" text NOT NULL,
	"service" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"level" text NOT NULL,
	"message" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_services" (
	"environment" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"replicas" integer NOT NULL,
	"pods" jsonb NOT NULL,
	"health" text NOT NULL,
	"error_rate" real NOT NULL,
	"latency_p99_ms" integer NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sandbox_services_environment_name_pk" PRIMARY KEY("environment","name")
);
--> statement-breakpoint
CREATE TABLE "sandbox_tickets" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"severity" text NOT NULL,
	"incident_id" text,
	"environment" text NOT NULL,
	"created_by" text NOT NULL,
	"idempotency_key" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sandbox_tickets_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_proposal_id_proposals_id_fk" FOREIGN KEY ("proposal_id") REFERENCES "public"."proposals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "runs_agent_state_idx" ON "runs" USING btree ("agent","state");--> statement-breakpoint
CREATE INDEX "runs_incident_idx" ON "runs" USING btree ("incident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_proposal_approver_uq" ON "approvals" USING btree ("proposal_id","approver");--> statement-breakpoint
CREATE INDEX "approvals_proposal_idx" ON "approvals" USING btree ("proposal_id");--> statement-breakpoint
CREATE INDEX "proposals_state_idx" ON "proposals" USING btree ("state");--> statement-breakpoint
CREATE INDEX "proposals_run_idx" ON "proposals" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "proposals_agent_state_idx" ON "proposals" USING btree ("agent","state");--> statement-breakpoint
CREATE INDEX "audit_run_idx" ON "audit_events" USING btree ("run_id","seq");--> statement-breakpoint
CREATE INDEX "audit_incident_idx" ON "audit_events" USING btree ("incident_id","seq");--> statement-breakpoint
CREATE INDEX "audit_proposal_idx" ON "audit_events" USING btree ("proposal_id","seq");--> statement-breakpoint
CREATE INDEX "audit_at_idx" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "breaker_hits_window_idx" ON "breaker_hits" USING btree ("agent","breaker","key","at");--> statement-breakpoint
CREATE INDEX "credential_leases_proposal_idx" ON "credential_leases" USING btree ("proposal_id");--> statement-breakpoint
CREATE INDEX "sandbox_deploys_service_idx" ON "sandbox_deploys" USING btree ("environment","service","deployed_at");--> statement-breakpoint
CREATE INDEX "sandbox_logs_service_idx" ON "sandbox_logs" USING btree ("environment","service","at");