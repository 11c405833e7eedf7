import type { AuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import { finishRun, insertRun, lockRun, type RunRow } from '../runs/runs.repository.ts';
import type { Clock } from '../shared/clock.ts';
import { newId } from '../shared/ids.ts';
import type { McpClient } from './mcp-auth.ts';

export type McpRunDeps = { db: Db; clock: Clock; audit: AuditLog; instanceId: string };

/** How an MCP client reached Warden. */
export type McpTransportKind = 'http' | 'stdio';

/**
 * Starts the run an MCP session is: the token's agent, the token's person as requester, no incident and
 * no Slack thread. Its budgets and denied-requests breaker apply to the whole session.
 */
export async function startMcpRun({
  deps,
  client,
  transport,
}: {
  deps: McpRunDeps;
  client: McpClient;
  transport: McpTransportKind;
}): Promise<RunRow> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const row = await insertRun({
      tx,
      run: {
        id: newId('run'),
        agent: client.charter.agent,
        charterHash: client.charter.hash,
        requester: client.onBehalfOf,
        incidentId: null,
        environment: null,
        state: 'running',
        slackChannel: null,
        slackThreadTs: null,
        startedAt: now,
        runBy: deps.instanceId,
        modeCap: null,
        slackHeaderOwned: false,
      },
    });
    await deps.audit.append(tx, {
      actor: client.onBehalfOf,
      action: 'run.started',
      agent: client.charter.agent,
      charterHash: client.charter.hash,
      runId: row.id,
      details: { trigger: 'mcp', transport, tokenId: client.tokenId, runBy: deps.instanceId },
    });
    return row;
  });
}

/**
 * Ends a session's run when the session closes (`completed`) and audits `run.finished`. A run something
 * else ended first (the kill switch, a denied-requests breaker, recovery) keeps its record.
 */
export async function finishMcpRun({
  deps,
  runId,
  why,
}: {
  deps: McpRunDeps;
  runId: string;
  why: string;
}): Promise<RunRow | null> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const current = await lockRun({ tx, id: runId });
    if (current?.state !== 'running') return current;
    const row = await finishRun({ tx, id: runId, state: 'completed', now, summary: why });
    if (!row) return current;
    await deps.audit.append(tx, {
      actor: 'warden',
      action: 'run.finished',
      agent: row.agent,
      charterHash: row.charterHash,
      runId: row.id,
      reasonCode: row.state,
      details: {
        state: row.state,
        trigger: 'mcp',
        summary: why,
        toolCalls: row.toolCalls,
        tokens: row.tokensUsed,
        denied: row.deniedCount,
      },
    });
    return row;
  });
}
