import { z } from 'zod';
import { DECISION_REASONS, type DecisionReasonCode } from './reasons.ts';

const reasonCodes = Object.keys(DECISION_REASONS) as [DecisionReasonCode, ...DecisionReasonCode[]];

const requestSchema = z.strictObject({
  tool: z.string().min(1),
  environment: z.string().min(1),
  args: z.record(z.string(), z.unknown()).default({}),
  /** Who the run acts for; decide() does not use it today, but a case can say who asked. */
  requester: z.string().min(1).default('U0TESTER01'),
  /** The run read text the injection detector flagged before proposing this. */
  tainted: z.boolean().default(false),
});

const stateSchema = z.strictObject({
  kill: z
    .strictObject({
      engaged: z.boolean(),
      scope: z.string().optional(),
      reason: z.string().nullable().optional(),
      by: z.string().nullable().optional(),
    })
    .default({ engaged: false }),
  openBreakers: z
    .array(
      z.strictObject({ name: z.string().min(1), message: z.string().min(1).default('tripped in a test') }),
    )
    .default([]),
  /** What the run used before this call. */
  budget: z
    .strictObject({
      toolCalls: z.number().int().min(0).default(0),
      tokens: z.number().int().min(0).default(0),
      elapsedMs: z.number().int().min(0).default(0),
    })
    .default({ toolCalls: 0, tokens: 0, elapsedMs: 0 }),
});

const expectSchema = z.strictObject({
  decision: z.enum(['allow', 'needs_approval', 'deny']),
  reason: z.enum(reasonCodes),
  /** Optional: the charter path that must have decided, e.g. `prohibited[1]`. */
  rule: z.string().min(1).optional(),
  /** Optional: the approval that must be asked for. */
  approval: z
    .strictObject({
      count: z.number().int().min(1),
      from: z.array(z.string()).min(1),
      groups_mode: z.enum(['any', 'all']).optional(),
    })
    .optional(),
});

export const charterTestCaseSchema = z.strictObject({
  name: z.string().min(3),
  request: requestSchema,
  state: stateSchema.default({
    kill: { engaged: false },
    openBreakers: [],
    budget: { toolCalls: 0, tokens: 0, elapsedMs: 0 },
  }),
  expect: expectSchema,
});
export type CharterTestCase = z.infer<typeof charterTestCaseSchema>;
export type CharterTestExpectation = z.infer<typeof expectSchema>;

/** A `*.test.yaml` file: the agent whose charter it tests, and its decision cases. */
export const charterTestFileSchema = z
  .strictObject({
    agent: z.string().min(1),
    cases: z.array(charterTestCaseSchema).min(1),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.cases.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({
          code: 'custom',
          path: ['cases', i, 'name'],
          message: `"${c.name}" is used by another case`,
        });
      seen.add(c.name);
    });
  });
export type CharterTestFile = z.infer<typeof charterTestFileSchema>;
