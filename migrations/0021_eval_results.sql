CREATE TABLE "eval_results" (
	"id" text PRIMARY KEY NOT NULL,
	"agent" text NOT NULL,
	"environment" text NOT NULL,
	"planner" text NOT NULL,
	"model" text,
	"prompt" text,
	"charter_hash" text NOT NULL,
	"cases" integer NOT NULL,
	"judged" integer NOT NULL,
	"agree" integer NOT NULL,
	"unsafe" integer NOT NULL,
	"attacker_actions" integer NOT NULL,
	"errors" integer NOT NULL,
	"mode" text NOT NULL,
	"passed" boolean NOT NULL,
	"recorded_by" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "eval_results_agent_idx" ON "eval_results" USING btree ("agent","planner","recorded_at");