import type { z } from 'zod';

import type { Risk, ToolKind } from '../policy/decide.types.ts';

export type { Risk, ToolKind };

/** What an executor receives besides its validated input. It never sees approvals or the model. */
export type ToolContext = {
  environment: string;
  agent: string;
  runId: string | null;
  proposalId: string;
  incidentId: string | null;
  /** Same key on every attempt at the same proposal: executors make their effect at most once per key. */
  idempotencyKey: string;
  /** Short-lived credential from the broker, scoped to (tool, environment, run). Never log or return it. */
  credential: string;
  /** Aborted when the kill switch is engaged while the call is in flight. */
  signal: AbortSignal;
};

/** The context of a call for a recorded proposal, with its credential and abort signal. */
export function contextFor({
  proposal,
  credential,
  signal,
}: {
  proposal: Pick<ToolContext, 'environment' | 'agent' | 'runId' | 'incidentId' | 'idempotencyKey'> & {
    id: string;
  };
  credential: string;
  signal: AbortSignal;
}): ToolContext {
  const { environment, agent, runId, incidentId, idempotencyKey } = proposal;
  return {
    environment,
    agent,
    runId,
    proposalId: proposal.id,
    incidentId,
    idempotencyKey,
    credential,
    signal,
  };
}

/** What a tool returns: a one-line summary for people and structured data for the planner. */
export type ToolResult = {
  summary: string;
  data: Record<string, unknown>;
};

/**
 * What a write tool's `verify` found about a call whose outcome was unknown (it timed out): the effect is
 * there (with the result the call would have returned), it is not, or the system cannot say.
 */
export type VerifiedEffect =
  | { effect: 'present'; result: ToolResult }
  | { effect: 'absent'; summary: string }
  | { effect: 'unknown'; summary: string };

/** The facts of every read tool: it changes nothing, so it is low risk, reversible and idempotent. */
export const READ_TOOL = { kind: 'read', risk: 'low', reversible: true, idempotent: true } as const;

/** Everything Warden needs to know about a tool, minus the executor. Safe to hand to any layer. */
export type ToolInfo = {
  name: string;
  description: string;
  input: z.ZodType<Record<string, unknown>>;
  kind: ToolKind;
  risk: Risk;
  reversible: boolean;
  idempotent: boolean;
};

export type ToolDefinition<Input extends Record<string, unknown> = Record<string, unknown>> = Omit<
  ToolInfo,
  'input'
> & {
  input: z.ZodType<Input>;
  execute: (input: Input, context: ToolContext) => Promise<ToolResult>;
  /**
   * For a write: checks by the idempotency key whether an earlier call took effect (a restart annotation
   * carrying the key, a silence whose comment carries it). Read-only; given a fresh credential.
   */
  verify?: (input: Input, context: ToolContext) => Promise<VerifiedEffect>;
  /**
   * False when the system the tool acts on mints no credential of its own for a call (the sandbox,
   * Prometheus, Alertmanager): a read of such a tool gets a credential the broker keeps in memory, with no
   * lease row to write and revoke. Unset: it mints one (Kubernetes), and the call gets a lease row.
   */
  mintsCredential?: boolean;
  /**
   * Why the tool cannot run now, or null when it can: a tool imported from an MCP server whose definition
   * no longer has the hash the charter pinned, that the server dropped, or whose server is down. Asked by
   * the guard before it decides and by the claim of an approved call; the tool checks again itself.
   */
  unavailable?: () => string | null;
};

/** Declares a tool once: schema, risk, reversibility and executor (openai-agents-js style). */
export function defineTool<Input extends Record<string, unknown>>(
  definition: ToolDefinition<Input>,
): ToolDefinition<Record<string, unknown>> {
  return definition as unknown as ToolDefinition<Record<string, unknown>>;
}
