import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isWardenError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Redactor } from '../shared/redact.ts';
import type { ExecutionOutcome } from '../tools/execution.types.ts';
import type { Guard, ProposeOutcome } from '../tools/guard.ts';
import type { McpClient } from './mcp-auth.ts';
import { errorResult, jsonResult, splitCallArguments } from './mcp-tools.ts';
import { type WaitDeps, waitForDecision } from './mcp-wait.ts';

export type McpCallDeps = {
  guard: Pick<Guard, 'propose'>;
  redactor: Redactor;
  logger: Logger;
  /** Calls held for approval wait for the decision with these; null: they answer at once that they wait. */
  wait: WaitDeps | null;
};

/** A call that may wait for approval: its cancellation (client timeout or hang-up) and its progress line. */
export type Hold = { signal: AbortSignal; progress: (message: string) => Promise<void> };

/**
 * One `tools/call`: proposed to the guard exactly as a planner's proposal is (requester: the token's
 * person; run: the session's). Allowed → the execution's redacted result; denied → a tool error naming the
 * reason code and the rule; needs approval → says it waits in Slack, with the proposal id.
 */
export async function callMcpTool({
  deps,
  client,
  runId,
  name,
  args,
  hold,
}: {
  deps: McpCallDeps;
  client: McpClient;
  runId: string;
  name: string;
  args: Record<string, unknown> | undefined;
  hold?: Hold;
}): Promise<CallToolResult> {
  const split = splitCallArguments({ args });
  let outcome: ProposeOutcome;
  try {
    outcome = await deps.guard.propose({
      agent: client.charter.agent,
      tool: name,
      args: split.toolArgs,
      environment: split.environment,
      requester: client.onBehalfOf,
      runId,
      source: 'mcp',
    });
  } catch (failure) {
    return failedProposal({ deps, failure, tool: name });
  }
  const held = outcome.decision.decision === 'needs_approval' && hold && deps.wait;
  const { isError, body } = held
    ? await waitForDecision({
        deps: deps.wait as WaitDeps,
        proposalId: outcome.proposal.id,
        signal: hold.signal,
        progress: hold.progress,
      })
    : answerOf(outcome);
  // Redacted as a value, before it becomes JSON text: redacting the text could cut an escape in two.
  const redacted = deps.redactor.redactValue(body) as Record<string, unknown>;
  return isError ? errorResult(redacted as Parameters<typeof errorResult>[0]) : jsonResult(redacted);
}

type Answer = { isError: boolean; body: Record<string, unknown> };
const error = (body: { code: string; message: string } & Record<string, unknown>): Answer => ({
  isError: true,
  body,
});
const answer = (body: Record<string, unknown>): Answer => ({ isError: false, body });

/** The MCP answer to the guard's outcome, before redaction. */
export function answerOf(outcome: ProposeOutcome): Answer {
  const { proposal, decision } = outcome;
  if (decision.decision === 'deny') {
    // The session is one run: its budget is spent for good, and a new session is a new run.
    const hint = decision.reasonCode === 'budget_exhausted' ? ' Start a new MCP session for a new run.' : '';
    return error({
      code: decision.reasonCode,
      rule: decision.rule,
      message: `Denied: ${decision.message}${hint}`,
      proposalId: proposal.id,
      ...(outcome.runStopped ? { runStopped: outcome.runStopped.message } : {}),
    });
  }
  if (decision.decision === 'needs_approval') {
    const approval = decision.approval;
    return answer({
      status: 'waiting_for_approval',
      proposalId: proposal.id,
      message: `Waiting for approval: ${decision.message} Nothing has run yet; \`/agent why ${proposal.id}\` tells who decides.`,
      approvals: approval ? { count: approval.count, from: approval.from } : null,
      expiresAt: proposal.expiresAt?.toISOString() ?? null,
    });
  }
  return executionResult(outcome.execution, proposal.id);
}

function executionResult(execution: ExecutionOutcome | undefined, proposalId: string): Answer {
  if (!execution) {
    return error({ code: 'mcp.not_executed', message: 'Allowed, but nothing ran.', proposalId });
  }
  if (execution.status === 'succeeded') {
    return answer({ proposalId, summary: execution.result.summary, data: execution.result.data });
  }
  if (execution.status === 'not_claimed') {
    return error({ code: 'execution.not_claimed', message: execution.message, proposalId });
  }
  return error({
    code: execution.reasonCode,
    status: execution.status,
    message: execution.message,
    proposalId,
  });
}

/** A proposal the guard could not record: nothing ran (fail closed); the client hears why, never a trace. */
function failedProposal({ deps, failure, tool }: { deps: McpCallDeps; failure: unknown; tool: string }) {
  if (isWardenError(failure))
    return errorResult({ code: failure.code, message: deps.redactor.redactText(failure.message) });
  deps.logger.error({ err: failure, tool }, 'an MCP tool call could not be decided; nothing ran');
  return errorResult({
    code: 'mcp.not_decided',
    message: 'Warden could not decide on this call (its database did not answer), so nothing ran. Try again.',
  });
}
