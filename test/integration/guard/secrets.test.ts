import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import { approverFor, people, testCharters } from './fixtures.ts';

const CANARY_BOT_TOKEN = 'xoxb-CANARY-000111222333-abcdefabcdef';
const CANARY_OPENAI_KEY = 'sk-CANARYcanaryCANARYcanary0042';
const CANARY_CUSTOM = 'canary-db-password-8c1f2e';

describe.each(databaseKinds)('secrets on %s', (kind) => {
  const { services } = useTestServices({
    kind,
    options: () => ({
      charters: testCharters(),
      env: { SLACK_BOT_TOKEN: CANARY_BOT_TOKEN, OPENAI_API_KEY: CANARY_OPENAI_KEY },
      secrets: [CANARY_CUSTOM],
    }),
  });

  it('never appear in logs, audit events, proposals or tool results, and neither do broker credentials', async () => {
    const leak = `token=${CANARY_BOT_TOKEN} key ${CANARY_OPENAI_KEY} pw ${CANARY_CUSTOM}`;
    const outcomes = [
      await services.guard.propose({
        agent: 'ops',
        tool: 'create_ticket',
        args: { title: 'Checkout errors after deploy', body: `evidence: ${leak}`, severity: 'sev2' },
        environment: 'production',
        requester: people.oncall,
        source: 'planner',
        rationale: `because ${leak}`,
        evidence: { note: leak, apiKey: 'plain-value-under-a-secret-key' },
      }),
      await services.guard.propose({
        agent: 'triage',
        tool: 'search_logs',
        args: { service: 'checkout', query: 'error', limit: 50 },
        environment: 'production',
        requester: people.oncall,
        source: 'planner',
      }),
    ];
    const pending = await services.guard.propose({
      agent: 'ops',
      tool: 'restart_service',
      args: { service: 'checkout' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    const approved = await services.approvals.decideOnProposal({
      proposalId: pending.proposal.id,
      approver: approverFor(services.charters.get('ops')!, people.approver1),
      decision: 'approve',
      reason: `ok ${leak}`,
    });
    services.logger.info(
      { leak, headers: { authorization: `Bearer ${CANARY_OPENAI_KEY}` } },
      `logging ${leak}`,
    );
    services.logger.flush();

    const dump = async (table: string) =>
      JSON.stringify(await services.db.execute(sql.raw(`select * from ${table}`)));
    const stored = [
      await dump('audit_events'),
      await dump('proposals'),
      await dump('approvals'),
      await dump('sandbox_tickets'),
      await dump('sandbox_changes'),
      await dump('credential_leases'),
    ].join('\n');
    const results = JSON.stringify([outcomes, approved]);
    await new Promise((r) => setTimeout(r, 50));
    const logs = services.logs.text();
    expect(logs).toContain('logging');
    for (const haystack of [stored, results, logs]) {
      for (const canary of [
        CANARY_BOT_TOKEN,
        CANARY_OPENAI_KEY,
        CANARY_CUSTOM,
        'plain-value-under-a-secret-key',
      ]) {
        expect(haystack).not.toContain(canary);
      }
      expect(haystack).not.toMatch(/wdn_cred_[A-Za-z0-9_-]{16,}/);
    }
    expect(stored).toContain('[REDACTED]');
    expect(outcomes[0]?.execution?.status).toBe('succeeded');
  });
});
