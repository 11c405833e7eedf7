import { describe, expect, it } from 'vitest';
import { plainJsonDetails } from '../../../src/audit/audit.details.ts';
import { GENESIS_HASH, type HashableAuditEvent, hashAuditEvent } from '../../../src/audit/audit.hash.ts';
import { isWardenError } from '../../../src/shared/errors.ts';

const event: HashableAuditEvent = {
  seq: 1,
  at: new Date('2026-11-24T09:00:00.123Z'),
  actor: 'U012AB',
  action: 'proposal.decided',
  agent: 'triage',
  environment: 'production',
  decision: 'needs_approval',
  reasonCode: 'policy.approval_required',
  charterHash: 'c'.repeat(64),
  runId: 'run_1',
  incidentId: 'INC-7',
  proposalId: 'prp_1',
  details: { tool: 'create_ticket', args: { title: 'disk full', priority: 2 } },
};

describe('hashAuditEvent', () => {
  it('is a sha256 hex digest that is the same for the same input', () => {
    const hash = hashAuditEvent({ prevHash: GENESIS_HASH, event });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashAuditEvent({ prevHash: GENESIS_HASH, event: { ...event } })).toBe(hash);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('chains: a different prevHash gives a different hash', () => {
    const a = hashAuditEvent({ prevHash: GENESIS_HASH, event });
    const b = hashAuditEvent({ prevHash: a, event });
    expect(b).not.toBe(a);
  });

  it('ignores the key order of details, as jsonb reorders keys', () => {
    const reordered = {
      ...event,
      details: { args: { priority: 2, title: 'disk full' }, tool: 'create_ticket' },
    };
    expect(hashAuditEvent({ prevHash: GENESIS_HASH, event: reordered })).toBe(
      hashAuditEvent({ prevHash: GENESIS_HASH, event }),
    );
  });

  it('hashes a Date and its ISO string the same, and a different millisecond differently', () => {
    const asText = { ...event, at: '2026-11-24T09:00:00.123Z' };
    expect(hashAuditEvent({ prevHash: GENESIS_HASH, event: asText })).toBe(
      hashAuditEvent({ prevHash: GENESIS_HASH, event }),
    );
    const later = { ...event, at: new Date('2026-11-24T09:00:00.124Z') };
    expect(hashAuditEvent({ prevHash: GENESIS_HASH, event: later })).not.toBe(
      hashAuditEvent({ prevHash: GENESIS_HASH, event }),
    );
  });

  it('treats an absent optional column as null, and nulling a set column changes the hash', () => {
    const bare = { seq: 2, at: event.at, actor: 'warden', action: 'kill.engaged', details: {} };
    const explicitNulls = { ...bare, agent: null, runId: null, proposalId: null };
    expect(hashAuditEvent({ prevHash: GENESIS_HASH, event: bare })).toBe(
      hashAuditEvent({ prevHash: GENESIS_HASH, event: explicitNulls }),
    );
    expect(hashAuditEvent({ prevHash: GENESIS_HASH, event: { ...event, agent: null } })).not.toBe(
      hashAuditEvent({ prevHash: GENESIS_HASH, event }),
    );
  });

  it('changes when any hashed field changes', () => {
    const base = hashAuditEvent({ prevHash: GENESIS_HASH, event });
    const changes: Partial<HashableAuditEvent>[] = [
      { seq: 2 },
      { actor: 'U999' },
      { action: 'proposal.approved' },
      { agent: 'other' },
      { environment: 'staging' },
      { decision: 'allow' },
      { reasonCode: 'policy.allowed' },
      { charterHash: 'd'.repeat(64) },
      { runId: 'run_2' },
      { incidentId: 'INC-8' },
      { proposalId: 'prp_2' },
      { details: { tool: 'create_ticket', args: { title: 'disk full', priority: 3 } } },
    ];
    const hashes = changes.map((change) =>
      hashAuditEvent({ prevHash: GENESIS_HASH, event: { ...event, ...change } }),
    );
    for (const hash of hashes) expect(hash).not.toBe(base);
    expect(new Set(hashes).size).toBe(changes.length);
  });
});

describe('plainJsonDetails', () => {
  it('turns Dates into ISO strings and drops undefined keys', () => {
    const details = plainJsonDetails({
      action: 'x.y',
      details: { when: new Date('2026-11-24T09:00:00.000Z'), gone: undefined, list: [1, 'a'] },
    });
    expect(details).toEqual({ when: '2026-11-24T09:00:00.000Z', list: [1, 'a'] });
    expect('gone' in details).toBe(false);
  });

  it('replaces NUL and lone surrogates, which Postgres refuses', () => {
    const details = plainJsonDetails({
      action: 'x.y',
      details: { out: `a${String.fromCharCode(0)}b\uD800c` },
    });
    expect(details).toEqual({ out: 'a\uFFFDb\uFFFDc' });
  });

  it('replaces them in keys and nested values too, and keeps what only looks like them', () => {
    const nul = String.fromCharCode(0);
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ [`k${nul}ey`]: 'v' }, { 'k\uFFFDey': 'v' }],
      [{ list: [{ deep: 'x\uDC00y' }, 'ok'] }, { list: [{ deep: 'x\uFFFDy' }, 'ok'] }],
      [{ ['\uD83Dkey']: 1 }, { '\uFFFDkey': 1 }],
      [{ pair: 'fire \uD83D\uDD25' }, { pair: 'fire \uD83D\uDD25' }],
      [{ escaped: 'a\\u0000 and \\ud800 as written' }, { escaped: 'a\\u0000 and \\ud800 as written' }],
      [
        { tool: 'get_incident', args: { incident_id: 'INC-124' } },
        { tool: 'get_incident', args: { incident_id: 'INC-124' } },
      ],
    ];
    for (const [details, stored] of cases)
      expect(plainJsonDetails({ action: 'x.y', details })).toEqual(stored);
  });

  it('refuses values JSON cannot hold, with a coded error', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const details of [{ n: 10n }, cyclic]) {
      let caught: unknown;
      try {
        plainJsonDetails({ action: 'x.y', details });
      } catch (error) {
        caught = error;
      }
      expect(isWardenError(caught, 'audit.invalid_details')).toBe(true);
    }
  });
});
