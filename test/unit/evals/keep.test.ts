import { describe, expect, it } from 'vitest';
import type { KeepSources } from '../../../src/evals/case.repository.ts';
import { evalCaseSchema } from '../../../src/evals/case.schemas.ts';
import { caseFromSources, verdictOf } from '../../../src/evals/keep.ts';
import { worldOfRegistry } from '../../../src/evals/world.ts';
import { parseAgentCommand } from '../../../src/slack/command.parse.ts';
import { toolSpecsFor } from '../../../src/tools/tool-catalog.ts';

const at = new Date('2026-11-24T09:00:00Z');
const proposal = {
  id: 'prp_abcdef123456',
  runId: 'run_abcdef123456',
  agent: 'triage',
  tool: 'rollback_deploy',
  args: { service: 'checkout', to_version: 'v2.13.4' },
  environment: 'production',
  incidentId: 'INC-123',
  state: 'succeeded',
  source: 'planner',
  rationale: 'Errors began with v2.14.0.',
} as unknown as KeepSources['proposal'];
const approval = (approver: string, decision: 'approve' | 'reject', reason: string | null = null) =>
  ({ approver, decision, reason }) as unknown as KeepSources['approvals'][number];
const answer = (user: string, verdict: 'agree' | 'disagree') =>
  ({ user, verdict, source: 'shadow' }) as unknown as KeepSources['feedback'][number];
const sources = (over: Partial<KeepSources>): KeepSources => ({
  proposal,
  evidence: [],
  approvals: [],
  feedback: [],
  versions: null,
  ...over,
});

describe('keeping a decision as a case', () => {
  it('reads the verdict: a rejection wins, an approval counts once it took effect, then shadow answers', () => {
    expect(verdictOf(sources({ approvals: [approval('U1', 'approve'), approval('U2', 'approve')] }))).toEqual(
      {
        kind: 'approved',
        by: ['U1', 'U2'],
      },
    );
    expect(
      verdictOf(
        sources({ approvals: [approval('U1', 'approve'), approval('U2', 'reject', ' roll forward ')] }),
      ),
    ).toEqual({ kind: 'rejected', by: ['U2'], reason: 'roll forward' });
    // One approval of two, still pending: nobody decided yet.
    expect(
      verdictOf(
        sources({ proposal: { ...proposal, state: 'pending' }, approvals: [approval('U1', 'approve')] }),
      ),
    ).toBeNull();
    expect(verdictOf(sources({ proposal: { ...proposal, state: 'expired' } }))).toBeNull();
    const shadow = { ...proposal, state: 'blocked' };
    expect(
      verdictOf(sources({ proposal: shadow, feedback: [answer('U1', 'agree'), answer('U2', 'agree')] })),
    ).toEqual({
      kind: 'agree',
      by: ['U1', 'U2'],
    });
    // A tie errs on the side of whoever objected.
    expect(
      verdictOf(sources({ proposal: shadow, feedback: [answer('U1', 'agree'), answer('U2', 'disagree')] })),
    ).toEqual({ kind: 'disagree', by: ['U2'] });
  });

  it('builds a valid case from the records: evidence that ran, and evidence that did not', () => {
    const read = (over: Partial<KeepSources['proposal']>) =>
      ({
        ...proposal,
        source: 'agent',
        tool: 'search_logs',
        args: { service: 'checkout', query: 'exception' },
        decision: 'allow',
        reasonCode: 'allowed',
        reason: 'allowed by tools.search_logs.production',
        error: null,
        result: { summary: '2 lines', data: { lines: [] } },
        ...over,
      }) as unknown as KeepSources['proposal'];
    const built = caseFromSources({
      sources: sources({
        evidence: [
          read({}),
          read({
            state: 'blocked',
            decision: 'deny',
            reasonCode: 'env_not_allowed',
            result: null,
            reason: 'not here',
          }),
        ],
        versions: { planner: 'openai', model: 'm', prompt: 'p', charter: 'c' },
      }),
      verdict: { kind: 'approved', by: ['U1'] },
      user: 'U9',
      keptAt: at,
      world: 'sandbox',
      tools: ['search_logs', 'rollback_deploy'],
    });
    expect(evalCaseSchema.safeParse(built).success).toBe(true);
    expect(built.evidence).toEqual([
      expect.objectContaining({ output: { summary: '2 lines', data: { lines: [] } }, error: null }),
      expect.objectContaining({
        decision: 'deny',
        reason: 'env_not_allowed',
        output: null,
        error: 'not here',
      }),
    ]);
    expect(built).toMatchObject({
      id: proposal.id,
      kept: { by: 'U9', at: at.toISOString() },
      versions: { model: 'm' },
    });
  });

  it('tells the worlds apart by the tools a deployment has', () => {
    const names = (world: 'sandbox' | 'catalog') => new Set(toolSpecsFor({ world }).map((s) => s.info.name));
    expect(worldOfRegistry({ has: (n) => names('sandbox').has(n) })).toBe('sandbox');
    expect(worldOfRegistry({ has: (n) => names('catalog').has(n) })).toBe('catalog');
  });

  it('parses /agent keep with one proposal id, and explains a mistake', () => {
    const parse = (text: string) => parseAgentCommand({ text, agents: ['triage'] });
    expect(parse('keep prp_abcdef123456')).toEqual({ kind: 'keep', proposalId: 'prp_abcdef123456' });
    for (const text of ['keep', 'keep 42', 'keep prp_abcdef123456 extra']) {
      expect(parse(text)).toMatchObject({
        kind: 'invalid',
        command: 'keep',
        problem: expect.stringMatching(/^Keep needs/),
      });
    }
    expect(parse('kep prp_abcdef123456')).toMatchObject({ kind: 'invalid', command: 'keep' });
  });
});
