CREATE TABLE "mcp_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"agent" text NOT NULL,
	"on_behalf_of" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "mcp_tokens_agent_idx" ON "mcp_tokens" USING btree ("agent");