import type { EmulatorChannel, EmulatorUser, EmulatorUsergroup } from './emulator.types.ts';

/** The people and places of the sandbox workspace, by role, so tests read `ids.approvers[0]`. */
export const sandboxIds = {
  oncall: 'U0ONCALL01',
  approvers: ['U0APPROVE1', 'U0APPROVE2'],
  owner: 'U0OWNER001',
  security: 'U0SECREV01',
  outsider: 'U0OUTSIDE1',
  incidents: 'C0INCIDENT',
  audit: 'C0AUDITLOG',
  alerts: 'C0ALERTS01',
  sreApprovers: 'S0SREAPPRV',
} as const;

/** The default workspace for local mode and tests: who is on call, who approves, where things are posted. */
export function createSandboxPeople(): {
  users: EmulatorUser[];
  usergroups: EmulatorUsergroup[];
  channels: EmulatorChannel[];
  ids: typeof sandboxIds;
} {
  return {
    users: [
      {
        id: 'U0ONCALL01',
        name: 'oncall.olivia',
        realName: 'Olivia (on call)',
        email: 'olivia@sandbox.example',
      },
      {
        id: 'U0APPROVE1',
        name: 'approver.ana',
        realName: 'Ana (SRE approver)',
        email: 'ana@sandbox.example',
      },
      {
        id: 'U0APPROVE2',
        name: 'approver.ben',
        realName: 'Ben (SRE approver)',
        email: 'ben@sandbox.example',
      },
      { id: 'U0OWNER001', name: 'owner.omar', realName: 'Omar (agent owner)', email: 'omar@sandbox.example' },
      {
        id: 'U0SECREV01',
        name: 'security.sam',
        realName: 'Sam (security reviewer)',
        email: 'sam@sandbox.example',
      },
      {
        id: 'U0OUTSIDE1',
        name: 'outsider.oscar',
        realName: 'Oscar (not on the charter)',
        email: 'oscar@sandbox.example',
      },
    ],
    usergroups: [{ id: 'S0SREAPPRV', handle: 'sre-approvers', users: ['U0APPROVE1', 'U0APPROVE2'] }],
    channels: [
      {
        id: 'C0INCIDENT',
        name: 'incidents',
        topic: 'Runs, approval cards and each run’s story in its thread · try /agent triage INC-123',
      },
      {
        id: 'C0AUDITLOG',
        name: 'warden-audit',
        topic: 'The audit chain head, anchored here after each run and each action that settles',
      },
      {
        id: 'C0ALERTS01',
        name: 'warden-alerts',
        topic: 'Breaker trips, denial spikes and other alerts from the agents’ charters',
      },
    ],
    ids: sandboxIds,
  };
}
