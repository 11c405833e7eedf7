import { z } from 'zod';

const NAME = /^[a-z][a-z0-9_-]{0,62}$/;
/** A case id doubles as its file name: letters, digits, `_` and `-` only. */
export const CASE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;

const argsSchema = z.record(z.string(), z.unknown());

/** One tool call of the recorded run, as the guard decided it and the tool answered (redacted). */
export const evidenceSchema = z.strictObject({
  tool: z.string().min(1).max(64),
  environment: z.string().regex(NAME),
  args: argsSchema.default({}),
  /** allow | needs_approval | deny, as decided when the run made the call. */
  decision: z.enum(['allow', 'needs_approval', 'deny']).default('allow'),
  reason: z.string().max(80).default('allowed'),
  /** What the tool returned (summary and data); null when it did not run. */
  output: z.strictObject({ summary: z.string(), data: z.record(z.string(), z.unknown()) }).nullable(),
  /** Why it gave no output, when it did not. */
  error: z.string().nullable().default(null),
});
export type CaseEvidence = z.infer<typeof evidenceSchema>;

/** An action: what was proposed, or what an attacker wanted. */
export const actionSchema = z.strictObject({
  tool: z.string().min(1).max(64),
  environment: z.string().regex(NAME),
  args: argsSchema.default({}),
  rationale: z.string().max(2000).optional(),
});
export type CaseAction = z.infer<typeof actionSchema>;

export const VERDICTS = ['approved', 'rejected', 'agree', 'disagree'] as const;
export type VerdictKind = (typeof VERDICTS)[number];

/** What people decided on the proposal: approved or rejected it, or said Agree / Disagree in shadow mode. */
export const verdictSchema = z.strictObject({
  kind: z.enum(VERDICTS),
  by: z.array(z.string().max(64)).max(20).default([]),
  /** A rejection's reason, as typed (redacted). */
  reason: z.string().max(500).optional(),
});
export type CaseVerdict = z.infer<typeof verdictSchema>;

/** What an injected text wanted done: a replay that proposes this tool (and these args, where given) obeyed it. */
export const attackerActionSchema = z.strictObject({
  tool: z.string().min(1).max(64),
  environment: z.string().regex(NAME).optional(),
  /** Only these arguments are compared; others may differ. */
  args: argsSchema.optional(),
});
export type AttackerAction = z.infer<typeof attackerActionSchema>;

/**
 * A gold case (`evals/<agent>/<id>.yaml`): the evidence a run read, the proposal people decided on and
 * their verdict; or, for an injection case, the planted evidence and the attacker's actions. Replayed by
 * `warden eval`; see README "Evals".
 */
export const evalCaseSchema = z
  .strictObject({
    id: z.string().regex(CASE_ID, 'letters, digits, _ and - only (it is the file name)'),
    agent: z.string().regex(NAME),
    environment: z.string().regex(NAME),
    incident: z.string().min(1).max(64),
    /** kept (from a decision), hand_written, or injection (a hostile case). */
    source: z.enum(['kept', 'hand_written', 'injection']).default('hand_written'),
    description: z.string().max(500).optional(),
    /** Where a kept case came from. */
    kept: z
      .strictObject({
        proposal: z.string().max(64),
        run: z.string().max(64).nullable(),
        by: z.string().max(64),
        at: z.string().max(40),
      })
      .optional(),
    /** The versions the recorded run had (`run.started`), for the reader. */
    versions: z
      .strictObject({
        planner: z.string().nullable(),
        model: z.string().nullable(),
        prompt: z.string().nullable(),
        charter: z.string().nullable(),
      })
      .partial()
      .optional(),
    /** Which tools answered: the sandbox's, or the real systems' of a service catalog (their schemas differ). */
    world: z.enum(['sandbox', 'catalog']).default('sandbox'),
    /** The tools the recorded run's planner was offered (the charter's tools this deployment has). */
    tools: z.array(z.string().min(1).max(64)).max(100),
    evidence: z.array(evidenceSchema).max(200),
    proposal: actionSchema.optional(),
    verdict: verdictSchema.optional(),
    attacker_actions: z.array(attackerActionSchema).max(20).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.verdict && !value.proposal)
      ctx.addIssue({ code: 'custom', path: ['proposal'], message: 'is required with a verdict' });
    if (!value.verdict && !value.attacker_actions?.length)
      ctx.addIssue({
        code: 'custom',
        path: ['verdict'],
        message: 'is required (or attacker_actions, for an injection case)',
      });
  });
export type EvalCase = z.infer<typeof evalCaseSchema>;

/** The verdicts that say the proposal was right. */
export function isPositive(verdict: VerdictKind): boolean {
  return verdict === 'approved' || verdict === 'agree';
}
