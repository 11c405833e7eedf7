/** The one drizzle schema, shared by postgres.js and PGlite. */

export * from '../agents/feedback.table.ts';
export * from '../audit/audit.table.ts';
export * from '../audit/audit-counts.table.ts';
export * from '../breakers/breakers.table.ts';
export * from '../evals/eval-cases.table.ts';
export * from '../evals/eval-results.table.ts';
export * from '../incidents/alert-incidents.table.ts';
export * from '../incidents/pagerduty-webhook-events.table.ts';
export * from '../mcp/mcp-tokens.table.ts';
export * from '../proposals/approvals.table.ts';
export * from '../proposals/proposals.table.ts';
export * from '../runs/runs.table.ts';
export * from '../slack/slack.table.ts';
export * from '../tools/credentials.table.ts';
export * from '../tools/sandbox/sandbox.table.ts';
