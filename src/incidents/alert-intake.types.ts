import type { AuditLog } from '../audit/audit.repository.ts';
import type { ServiceSpec } from '../catalog/catalog.schemas.ts';
import type { Db } from '../db/client.ts';
import type { CharterSet } from '../policy/charter-set.ts';
import type { KillView } from '../policy/decide.types.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import type { Redactor } from '../shared/redact.ts';
import type { OpeningOutcome, OpeningSlack } from './incident-run-start.ts';

/** What the opening message in the owner channel says; the Slack side renders it. */
export type OpeningMessage = {
  incidentId: string;
  alertName: string;
  service: string;
  environment: string;
  alertCount: number;
  agent: string;
  /** `triaging`, or why no run was started (one sentence for people). */
  outcome: OpeningOutcome;
};

/** The Slack side of the intake: posting (retried) and editing the opening message. */
export type AlertSlack = OpeningSlack<OpeningMessage>;

/** What the intake needs; built by the composition root. It reaches runs only through `startRun`. */
export type AlertIntakeDeps = {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  redactor: Redactor;
  logger: Logger;
  charters: CharterSet;
  /** The service catalog's services, whose Alertmanager matchers place an alert group. */
  services: () => readonly ServiceSpec[];
  /** The agent whose run triages an alert (`WARDEN_ALERT_AGENT`). */
  agent: string;
  /** The agent's kill switch as the database says now. */
  killState: (input: { agent: string }) => Promise<KillView>;
  slack: AlertSlack;
  /**
   * Starts the run for an alert incident (the runner's explicit alert path); throws a coded error when it
   * refuses (`kill_switch`, `agents.*`) and any other error when something failed.
   */
  startRun: (input: {
    agent: string;
    incidentId: string;
    environment: string;
    channel: string;
    threadTs: string;
  }) => Promise<{ runId: string }>;
  /** How long one request holds the start of a run before another may take it over (default 60 s). */
  claimMs?: number;
};

/** What became of one notification. */
export type IntakeResult =
  | { outcome: 'opened' | 'duplicate'; incidentId: string; runId: string | null; note: string | null }
  | { outcome: 'resolved'; incidentId: string }
  | { outcome: 'ignored'; reason: string };
