import type { AuditLog } from '../../audit/audit.repository.ts';
import type { InFlightRegistry } from '../../breakers/in-flight.ts';
import type { Db } from '../../db/client.ts';
import type { RunTriggerActor } from '../../incidents/alert-incidents.ts';
import type { Charter } from '../../policy/charter.schemas.ts';
import type { CharterSet } from '../../policy/charter-set.ts';
import type { RunRow, RunState } from '../../runs/runs.repository.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Redactor } from '../../shared/redact.ts';
import type { Guard } from '../../tools/guard.ts';
import type { ToolRegistry } from '../../tools/registry.ts';
import type { Observation } from '../planner.types.ts';
import type { PromotionGate } from './run.promotion.ts';

/** What the runner needs; all built by the composition root. It reaches tools only through the guard. */
export type RunnerDeps = {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  charters: CharterSet;
  registry: ToolRegistry;
  guard: Pick<Guard, 'propose'> & Partial<Pick<Guard, 'noteRun'>>;
  logger: Logger;
  redactor: Redactor;
  /** Each run registers its AbortController here: a kill (here or on another instance) stops it at once. */
  inFlight: Pick<InFlightRegistry, 'addRun' | 'removeRun' | 'listRuns'>;
  /** Runs this instance works on at once: one more is refused (`agents.busy`) rather than queued. */
  maxRuns: number;
  /** Where incidents are filed: tells a run its incident's environment before any evidence is read. */
  incidents: IncidentDirectory;
  /** This instance's id, recorded on each run it starts: its restart knows those runs are dead. */
  instanceId: string;
  /** The recorded eval evidence each run's modes are held against (charters' `promotion`). */
  promotion: PromotionGate;
  /**
   * Where recorded runs are worked through, when not on this thread: the run worker (`src/app/run-worker.ts`),
   * so a run's work never delays the acks this thread serves. Absent: here.
   */
  handOff?: RunHandOff;
};

/** A run worker, as the runner hands recorded runs to it (`src/app/run-worker.ts`). */
export type RunHandOff = {
  /** The worker's instance id: recorded as the run's `runBy`, so recovery knows who was working on it. */
  instanceId: string;
  /** Resolves once the worker can take a run; rejects with a coded error, and then nothing is recorded. */
  ready: () => Promise<void>;
  /**
   * Works through a recorded run in the worker; resolves with how it ended, never rejects. `unworked` ends
   * the run as failed, saying why, when the worker refused it before any of it ran.
   */
  run: (input: { run: RunRow; unworked: (error: string) => Promise<RunOutcome> }) => Promise<RunOutcome>;
};

/**
 * The incident tracker's index. A run asks it only which environment an incident is in, so that every
 * call (the incident read included) is decided and audited in that environment; the incident itself is
 * read through the guard like any other evidence.
 */
export type IncidentDirectory = {
  /** The environment the incident is filed under, or null when there is no such incident. */
  environmentOf: (input: { incidentId: string }) => Promise<string | null>;
};

/** What one run is, as every step and every guard call needs it. */
export type RunContext = {
  runId: string;
  agent: string;
  charter: Charter;
  requester: string;
  incidentId: string;
};

export type StartRunInput = {
  agent: string;
  /** Slack user ID of the person starting the run. */
  requester: string;
  /** The requester's charter groups when the caller resolved Slack user groups; else from the charter. */
  requesterGroups?: string[];
  incidentId: string;
  channel?: string | null;
  threadTs?: string | null;
};

/** A run for an alert incident (see `startFromAlert`): no person asked, so no requester is given. */
export type StartAlertRunInput = {
  agent: string;
  incidentId: string;
  /** The incident's environment, as the service catalog placed its alerts. */
  environment: string;
  /** The service's owner channel, and the opening message the run's thread hangs under. */
  channel: string;
  threadTs: string;
  /** The webhook that started it, recorded as the run's requester; absent: Alertmanager. */
  source?: RunTriggerActor;
};

/** One final proposal of a run and what the guard made of it. */
export type RunProposal = {
  proposalId: string;
  tool: string;
  args: Record<string, unknown>;
  environment: string;
  /** allow | needs_approval | deny */
  decision: string;
  reasonCode: string;
  message: string;
  approvalsRequired: number;
  approvalGroups: string[];
  /** Whether one person from any of the groups will do, or one from each. */
  approvalGroupsMode: 'any' | 'all';
  /** Whether the requester may approve their own run's proposal (the charter's choice). */
  selfApprovalAllowed: boolean;
  /** Why the planner proposed it (redacted; model prose when the planner is a model). */
  rationale: string | null;
  /** The proposal's state after the guard: approved, pending, blocked, succeeded, failed, … */
  state: string;
  /** Present when the guard ran it at once. */
  execution: { status: string; summary: string | null; error: string | null } | null;
};

/** Something the planner produced that Warden refused to use (bad shape, a write while gathering, …). */
export type SkippedItem = { kind: 'call' | 'proposal'; index: number; tool: string | null; reason: string };

/** How a run ended. `done` always resolves to one of these; it never rejects. */
export type RunOutcome = {
  run: RunRow;
  state: Exclude<RunState, 'running'>;
  summary: string;
  error: string | null;
  observations: Observation[];
  proposals: RunProposal[];
  skipped: SkippedItem[];
  /** Final proposals past the per-run cap, never handed to the guard. */
  dropped: number;
};
