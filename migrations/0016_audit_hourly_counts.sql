CREATE TABLE "audit_hourly_counts" (
	"agent" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"action" text NOT NULL,
	"decision" text DEFAULT '' NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"n" bigint NOT NULL,
	"tokens" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "audit_hourly_counts_agent_hour_action_decision_reason_pk" PRIMARY KEY("agent","hour","action","decision","reason")
);
