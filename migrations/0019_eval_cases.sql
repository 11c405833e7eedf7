CREATE TABLE "eval_cases" (
	"id" text PRIMARY KEY NOT NULL,
	"proposal_id" text NOT NULL,
	"agent" text NOT NULL,
	"environment" text NOT NULL,
	"kept_by" text NOT NULL,
	"kept_at" timestamp with time zone NOT NULL,
	"case" jsonb NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "eval_cases_proposal_uq" ON "eval_cases" USING btree ("proposal_id");--> statement-breakpoint
CREATE INDEX "eval_cases_agent_idx" ON "eval_cases" USING btree ("agent","kept_at");