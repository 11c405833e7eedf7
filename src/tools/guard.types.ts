import type { AuditLog } from '../audit/audit.repository.ts';
import type { InFlightRegistry } from '../breakers/in-flight.ts';
import type { Db } from '../db/client.ts';
import type { RunPipelined } from '../db/pipeline.ts';
import type { CharterSet } from '../policy/charter-set.ts';
import type { Decision } from '../policy/decide.ts';
import type { ProposalRow } from '../proposals/proposals.repository.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import type { Redactor } from '../shared/redact.ts';
import type { CredentialBroker } from './broker.ts';
import type { ExecutionOutcome } from './execute.ts';
import type { ToolExecutors, ToolRegistry } from './registry.ts';

/** Everything the guard needs; built once by the composition root. */
export type GuardDeps = {
  db: Db;
  /** Pipelined transactions on the same database (`Database.pipelined`): a decision in two round trips. */
  pipelined: RunPipelined;
  clock: Clock;
  audit: AuditLog;
  broker: CredentialBroker;
  registry: ToolRegistry;
  executors: ToolExecutors;
  charters: CharterSet;
  inFlight: InFlightRegistry;
  redactor: Redactor;
  logger: Logger;
  instanceId: string;
  /** An executor still running after this long is aborted and its outcome reported as unknown. */
  executionTimeoutMs: number;
};

/** Where a proposal came from (`mcp`: an outside agent's tool call through Warden's MCP server). */
export type ProposalSource = 'planner' | 'human' | 'agent' | 'mcp';

export type ProposeInput = {
  agent: string;
  tool: string;
  /** Untrusted: validated against the tool's schema before anything else. */
  args: unknown;
  environment: string;
  /** The person the run acts for; never counts as an approver unless the charter says so. */
  requester: string;
  runId?: string | null;
  incidentId?: string | null;
  source: ProposalSource;
  rationale?: string;
  evidence?: unknown;
  /**
   * The run read text the injection detector flagged before this was proposed: a write then follows the
   * charter's `on_suspected_injection` (held for a person by default), here and again before it runs.
   */
  tainted?: boolean;
};

/** What `guard.propose` gives back. */
export type ProposeOutcome = {
  proposal: ProposalRow;
  decision: Decision;
  /** Present when the guard allowed the call and ran it at once. */
  execution?: ExecutionOutcome;
  /**
   * Present when the run is stopped: this denial took it to a denied-requests breaker's threshold, or it
   * had been stopped before. The run must end; nothing more of it is decided but denials.
   */
  runStopped?: { breaker: string; message: string };
};
