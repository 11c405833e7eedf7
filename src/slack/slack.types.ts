import type { Runner } from '../agents/run/runner.ts';
import type { Approvals } from '../approvals/approvals.usecases.ts';
import type { AuditLog } from '../audit/audit.repository.ts';
import type { BreakerReset } from '../breakers/breaker-reset.ts';
import type { KillSwitch } from '../breakers/kill-switch.ts';
import type { Db } from '../db/client.ts';
import type { CharterSet } from '../policy/charter-set.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import type { Redactor } from '../shared/redact.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import type { OncallDirectory } from './oncall.directory.ts';
import type { SlackSync } from './sync/slack-sync.ts';

/** What the Slack listeners need; built by the composition root. Listeners never decide policy. */
export type SlackDeps = {
  db: Db;
  clock: Clock;
  logger: Logger;
  redactor: Redactor;
  audit: AuditLog;
  charters: CharterSet;
  registry: ToolRegistry;
  runner: Runner;
  approvals: Approvals;
  killSwitch: KillSwitch;
  breakerReset: BreakerReset;
  sync: SlackSync;
  /** Who is on call for a charter's on-call groups (PagerDuty → Slack); absent: on-call groups stay empty. */
  oncall?: OncallDirectory;
  /** Claims a Slack request key in Postgres; false when any instance already handled it. */
  claimRequest: (input: { key: string; kind: string }) => Promise<boolean>;
};
