import { describe, expect, it } from 'vitest';
import { describeCharter } from '../../../src/policy/charter.describe.ts';
import { loadCharters } from '../../../src/policy/charter.loader.ts';
import { describeReason, isReasonCode } from '../../../src/policy/reasons.ts';
import { chartersDir, makeCharter, sandboxCatalog } from './policy-fixtures.ts';

const triage = loadCharters({ dir: chartersDir }).charters.find((c) => c.agent === 'triage')!;

describe('describeCharter', () => {
  it('writes people with the formatter it is given, plain IDs by default', () => {
    const text = describeCharter({ charter: triage, person: (id) => `<@${id}>` });
    expect(text).toContain('Owners: business <@U0OWNER001>, technical <@U0OWNER001>, security <@U0SECREV01>');
    expect(text).toContain('Group sre-approvers: <@U0APPROVE1>, <@U0APPROVE2>, <@U0OWNER001>');
    expect(text).toContain('Who may start it: members of oncall, in any channel');
    expect(describeCharter({ charter: triage })).not.toContain('<@');
  });

  it('summarises who, where, what and the limits in plain text', () => {
    const text = describeCharter({ charter: triage });
    expect(text.split('\n')[0]).toBe(`triage (version 1, hash ${triage.hash.slice(0, 8)})`);
    for (const piece of [
      triage.purpose,
      'Owners: business U0OWNER001, technical U0OWNER001, security U0SECREV01',
      'Group sre-approvers: U0APPROVE1, U0APPROVE2, U0OWNER001',
      'Who may start it: members of oncall, in any channel',
      'In production (human in the loop',
      '  rollback_deploy: needs 2 approvals (different people) from sre-approvers',
      '  scale_service: replicas must be at least 1 and at most 20',
      '1. scale_service in production when replicas is less than 1: Scaling a production service to zero',
      '2. any tool in production when service is equal to "billing-ledger"',
      'prod-tickets: at most 5 create_ticket calls in production per 10 min; cool-down 15 min',
      'denials: 2 denied requests in one run',
      'Budget per run: 30 tool calls, 60000 tokens, 5 min',
      'Approval requests expire after 30 min.',
    ]) {
      expect(text).toContain(piece);
    }
  });

  it('describes each rule as it plays out when it knows the tools', () => {
    const text = describeCharter({ charter: triage, toolCatalog: sandboxCatalog });
    const production = text.slice(text.indexOf('In production'));
    const staging = text.slice(text.indexOf('In staging'), text.indexOf('In production'));
    expect(production).toContain('  create_ticket: needs 1 approval from sre-approvers');
    expect(production).toContain('  get_incident: allowed\n');
    expect(staging).toContain('  create_ticket: allowed (low-risk, reversible)');
    expect(staging).toContain('  restart_service: needs 1 approval from sre-approvers');
  });

  it('says what a mode does to rules that allow', () => {
    const shadow = makeCharter((s) => {
      s.environments.staging.mode = 'shadow';
      s.environments.production.mode = 'read_only';
    });
    const text = describeCharter({ charter: shadow, toolCatalog: sandboxCatalog });
    expect(text).toContain('get_incident: allowed (evidence in shadow mode)');
    expect(text).toContain('create_ticket: recorded only, never run (shadow)');
    expect(text).toContain('create_ticket: denied (read-only environment)');
    expect(text).toContain('rollback_deploy: denied');
  });
});

describe('reasons', () => {
  it('describes every code in one line and rejects unknown ones', () => {
    for (const code of ['kill_switch', 'approval.expired', 'channel_not_allowed', 'mode_shadow']) {
      expect(isReasonCode(code)).toBe(true);
      const line = describeReason({ code });
      expect(line).toBeTruthy();
      expect(line).not.toContain('\n');
    }
    expect(describeReason({ code: 'toString' })).toBeNull();
    expect(isReasonCode('made_up')).toBe(false);
  });
});
