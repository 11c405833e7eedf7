import { auditRunPromotion, evidenceCap } from '../agents/run/run.promotion.ts';
import type { RunVersions } from '../agents/run/run.versions.ts';
import type { AuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import { createPromotionGate } from '../evals/promotion.gate.ts';
import { storedModeCap } from '../policy/mode-cap.ts';
import { finishRun, insertRun, lockRun, type RunRow } from '../runs/runs.repository.ts';
import type { Clock } from '../shared/clock.ts';
import { newId } from '../shared/ids.ts';
import type { McpClient } from './mcp-auth.ts';

export type McpRunDeps = { db: Db; clock: Clock; audit: AuditLog; instanceId: string };

/** How an MCP client reached Warden. */
export type McpTransportKind = 'http' | 'stdio';

/**
 * The versions an MCP session runs on: the client's own model, which Warden neither knows nor has evaluated,
 * so no recorded eval is evidence for it (`warden eval` records on Warden's planners, never on `mcp`).
 */
export function mcpVersions(charter: { hash: string }): RunVersions {
  return { planner: 'mcp', model: null, prompt: null, charter: charter.hash };
}

/**
 * Starts the run an MCP session is: the token's agent, the token's person as requester, no incident and
 * no Slack thread. Its budgets and denied-requests breaker apply to the whole session. Every environment
 * whose charter mode asks for eval evidence is capped at its last supported mode for the session (no eval
 * speaks for the client's model), unless an owner's override keeps it; both are audited with `run.started`.
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
  const { charter } = client;
  const versions = mcpVersions(charter);
  const gate = createPromotionGate({ db: deps.db });
  const { modeCap, promotion } = await evidenceCap({ gate, charter, versions, cap: null });
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
        modeCap: storedModeCap(modeCap),
        slackHeaderOwned: false,
      },
    });
    await deps.audit.append(tx, {
      actor: client.onBehalfOf,
      action: 'run.started',
      agent: client.charter.agent,
      charterHash: client.charter.hash,
      runId: row.id,
      details: {
        trigger: 'mcp',
        transport,
        tokenId: client.tokenId,
        runBy: deps.instanceId,
        ...(promotion.capped.length > 0 ? { modeCap, cappedBy: 'promotion' } : {}),
      },
    });
    const start = { charter, promotion, modeCap, versions, incidentId: null };
    await auditRunPromotion({ tx, audit: deps.audit, start, runId: row.id });
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
