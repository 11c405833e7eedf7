import { describe, expect, it } from 'vitest';
import { formatAuditEvent } from '../../../src/audit/audit.format.ts';
import type { AuditEvent } from '../../../src/audit/audit.types.ts';

const base: AuditEvent = {
  seq: 42,
  at: new Date('2026-11-24T09:14:03.456Z'),
  actor: 'U012AB',
  action: 'proposal.decided',
  agent: 'triage',
  environment: 'production',
  decision: 'needs_approval',
  reasonCode: 'policy.approval_required',
  charterHash: 'c'.repeat(64),
  runId: 'run_1',
  incidentId: 'INC-7',
  proposalId: 'prp_7f3k2m9q1x',
  details: { args: { title: 'disk full' }, tool: 'create_ticket' },
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
};

describe('formatAuditEvent', () => {
  it('shows UTC time, actor, action, decision with reason, and key details first', () => {
    expect(formatAuditEvent(base)).toBe(
      '09:14:03 UTC · U012AB · proposal.decided · needs_approval (policy.approval_required) · ' +
        'env=production proposal=prp_7f3k2m9q1x tool=create_ticket args={"title":"disk full"}',
    );
  });

  it('leaves out what the event does not have', () => {
    const bare: AuditEvent = {
      ...base,
      environment: null,
      decision: null,
      reasonCode: null,
      proposalId: null,
      details: {},
    };
    expect(formatAuditEvent(bare)).toBe('09:14:03 UTC · U012AB · proposal.decided');
    expect(formatAuditEvent({ ...bare, reasonCode: 'kill.engaged' })).toBe(
      '09:14:03 UTC · U012AB · proposal.decided · kill.engaged',
    );
  });

  it('stays one short line for long, multi-line and many details', () => {
    const line = formatAuditEvent({
      ...base,
      details: { error: `line one\nline two ${'x'.repeat(500)}`, a: 1, b: 2, c: 3, d: 4, e: 5 },
    });
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThan(260);
    expect(line).toContain('error=line one line two');
    expect(line).toContain('…');
    expect(line).toContain('+2 more');
  });
});
