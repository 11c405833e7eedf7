import { z } from 'zod';
import { alertsSchema } from './charter.alerts.schemas.ts';
import { oncallSourceSchema } from './charter.oncall.schemas.ts';
import { promotionOverrideSchema, promotionSchema } from './charter.promotion.schemas.ts';
import { durationSchema } from './duration.schema.ts';

export { type AlertsSpec, alertsSchema, WEEKDAYS } from './charter.alerts.schemas.ts';

export { type OncallSource, oncallSourceSchema } from './charter.oncall.schemas.ts';
export { durationSchema } from './duration.schema.ts';

const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user ID such as U0123ABCD');
const slackUsergroupId = z
  .string()
  .regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group ID such as S0123ABCD');
const slackChannelId = z
  .string()
  .regex(/^[CGD][A-Z0-9]{2,}$/, 'must be a Slack channel ID such as C0123ABCD');
const name = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, - or _');

export const MODES = ['shadow', 'read_only', 'human_in_the_loop', 'human_on_the_loop', 'autonomous'] as const;
export type Mode = (typeof MODES)[number];

/**
 * What a write does when the run that proposed it read text the injection detector flagged (the
 * proposal is *tainted*): `require_approval` holds one that would run at once for a person, `deny`
 * refuses it, `warn` lets the charter's rule stand and only warns. Reads are never affected.
 */
export const TAINT_RULES = ['require_approval', 'deny', 'warn'] as const;
export type TaintRule = (typeof TAINT_RULES)[number];

/** A constraint on one argument value. All keys given must hold. */
export const argConstraintSchema = z
  .strictObject({
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    in: z
      .array(z.union([z.string(), z.number()]))
      .min(1)
      .optional(),
    not_in: z
      .array(z.union([z.string(), z.number()]))
      .min(1)
      .optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    lt: z.number().optional(),
    gt: z.number().optional(),
    pattern: z
      .string()
      .refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, 'must be a valid regular expression')
      .optional(),
    max_length: z.number().int().positive().optional(),
  })
  .refine((c) => Object.keys(c).length > 0, 'must state at least one condition');
export type ArgConstraint = z.infer<typeof argConstraintSchema>;

/** Argument name → constraint. */
export const argConstraintsSchema = z.record(z.string(), argConstraintSchema);

/** Who must approve: `count` distinct people from `from` (any one of the groups, or each of them with `all`). */
export const approvalSpecSchema = z.strictObject({
  count: z.number().int().min(1).max(10).default(1),
  from: z.array(name).min(1),
  /** `any`: approvers may come from any listed group. `all`: at least one approver from each group. */
  groups_mode: z.enum(['any', 'all']).default('any'),
});
export type ApprovalSpec = z.infer<typeof approvalSpecSchema>;

/** The decision for one tool in one environment. */
export const toolEnvRuleSchema = z.union([
  z.literal('allow'),
  z.literal('deny'),
  z.strictObject({ approve: approvalSpecSchema }),
]);
export type ToolEnvRule = z.infer<typeof toolEnvRuleSchema>;

/**
 * A tool imported from an MCP server (the catalog names the server): the sha256 of its definition as the
 * server lists it (`npx warden catalog mcp-pins` prints it), and the kind and risk Warden gives it. The
 * server's own annotations are hints for people, never policy. A different definition disables the tool.
 */
export const mcpToolPinSchema = z.strictObject({
  pin: z
    .string()
    .regex(
      /^sha256:[0-9a-f]{64}$/,
      'must be sha256:<64 hex digits>, as `npx warden catalog mcp-pins` prints',
    ),
  kind: z.enum(['read', 'write']),
  risk: z.enum(['low', 'medium', 'high']),
});
export type McpToolPin = z.infer<typeof mcpToolPinSchema>;

export const charterToolSchema = z.strictObject({
  /** Environment name → rule. An environment not listed here is denied for this tool. */
  environments: z.record(name, toolEnvRuleSchema),
  /** Argument constraints that must hold in every environment. */
  constraints: argConstraintsSchema.optional(),
  /** Present for a tool imported from an MCP server; absent leaves older charters' hashes alone. */
  mcp: mcpToolPinSchema.optional(),
});
export type CharterTool = z.infer<typeof charterToolSchema>;

export const prohibitedSchema = z.strictObject({
  /** A tool name, or `*` for every tool. */
  tool: z.string().min(1),
  /** Environments where the prohibition applies; all when omitted. */
  environments: z.array(name).min(1).optional(),
  /** The prohibition applies when every given argument condition matches; always when omitted. */
  when: argConstraintsSchema.optional(),
  reason: z.string().min(3),
});
export type Prohibited = z.infer<typeof prohibitedSchema>;

const breakerBase = {
  name,
  /** How long the breaker stays open before a half-open trial. */
  cool_down: durationSchema,
};

export const breakerSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...breakerBase,
    kind: z.literal('rate'),
    /** Tool counted, or `*` for every write tool. */
    tool: z.string().min(1),
    /** Environment counted; every environment when omitted (each counted separately). */
    environment: name.optional(),
    limit: z.number().int().min(1),
    window: durationSchema,
  }),
  z.strictObject({
    ...breakerBase,
    kind: z.literal('consecutive_failures'),
    threshold: z.number().int().min(1),
  }),
  z.strictObject({
    ...breakerBase,
    kind: z.literal('denied_requests'),
    /** Denied requests within one run that stop that run (the rest of the agent goes on). */
    threshold: z.number().int().min(1),
    /**
     * When the whole agent pauses (for `cool_down`): once runs on `incidents` different incidents (a run
     * without one counts on its own) were stopped within `within`. At least 2, so no single incident's
     * text can pause triage of another. Absent: 3 incidents within 1h.
     */
    pause_agent: z.strictObject({ incidents: z.number().int().min(2), within: durationSchema }).optional(),
  }),
]);
export type BreakerSpec = z.infer<typeof breakerSchema>;

export const groupSchema = z
  .strictObject({
    users: z.array(slackUserId).default([]),
    /** A Slack user group whose members also belong (resolved through `usergroups.users.list`). */
    slack_usergroup: slackUsergroupId.optional(),
    /** The people on call now also belong (approvals only); absent leaves older charters' hashes alone. */
    oncall: oncallSourceSchema.optional(),
  })
  .refine(
    (g) => g.users.length > 0 || g.slack_usergroup !== undefined || g.oncall !== undefined,
    'must list users, a slack_usergroup or an oncall source',
  );

export const charterSchema = z
  .strictObject({
    agent: name,
    version: z.number().int().min(1),
    purpose: z.string().min(10, 'must be a sentence saying what the agent is for'),
    owners: z.strictObject({
      business: slackUserId,
      technical: slackUserId,
      security: slackUserId,
    }),
    /** Named sets of people, referred to by invokers and approval rules. */
    groups: z.record(name, groupSchema).default({}),
    invokers: z
      .strictObject({
        users: z.array(slackUserId).default([]),
        groups: z.array(name).default([]),
        channels: z.array(slackChannelId).default([]),
      })
      .refine((i) => i.users.length + i.groups.length > 0, 'must name at least one user or group'),
    environments: z
      .record(
        name,
        z.strictObject({
          mode: z.enum(MODES),
          /** The most a run started by an alert (no person asked) may do here; absent: `read_only`. */
          alert_runs: z.strictObject({ mode: z.enum(MODES) }).optional(),
          /** What a tainted write does here (`TAINT_RULES`); absent: `require_approval`. */
          on_suspected_injection: z.enum(TAINT_RULES).optional(),
          /** The eval evidence each mode needs here (`warden eval`); absent leaves older charters' hashes alone. */
          promotion: promotionSchema.optional(),
          /** An owner keeps this mode without the evidence `promotion` asks for (audited on each run). */
          promotion_override: promotionOverrideSchema.optional(),
        }),
      )
      .refine((e) => Object.keys(e).length > 0, 'must name at least one environment'),
    tools: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a tool name'), charterToolSchema),
    prohibited: z.array(prohibitedSchema).default([]),
    breakers: z.array(breakerSchema).default([]),
    budgets: z.strictObject({
      tool_calls: z.number().int().min(1),
      // At least 1: decide() denies once tokens used >= budget, so 0 would deny every call.
      tokens: z.number().int().min(1),
      wall_time: durationSchema,
    }),
    approval_ttl: durationSchema,
    allow_self_approval: z.boolean().default(false),
    /** Behaviour alert thresholds; absent means every default (and leaves older charters' hashes alone). */
    alerts: alertsSchema.optional(),
  })
  .superRefine((charter, ctx) => {
    const groups = new Set(Object.keys(charter.groups));
    const envs = new Set(Object.keys(charter.environments));
    charter.invokers.groups.forEach((g, i) => {
      if (!groups.has(g))
        ctx.addIssue({
          code: 'custom',
          path: ['invokers', 'groups', i],
          message: `names unknown group "${g}"`,
        });
    });
    for (const [tool, spec] of Object.entries(charter.tools)) {
      for (const [env, rule] of Object.entries(spec.environments)) {
        if (!envs.has(env))
          ctx.addIssue({
            code: 'custom',
            path: ['tools', tool, 'environments', env],
            message: `names environment "${env}", which is not under environments`,
          });
        if (typeof rule === 'object') {
          rule.approve.from.forEach((g, i) => {
            if (!groups.has(g))
              ctx.addIssue({
                code: 'custom',
                path: ['tools', tool, 'environments', env, 'approve', 'from', i],
                message: `names unknown group "${g}"`,
              });
          });
          if (rule.approve.groups_mode === 'all' && rule.approve.count < rule.approve.from.length)
            ctx.addIssue({
              code: 'custom',
              path: ['tools', tool, 'environments', env, 'approve', 'count'],
              message: 'must be at least the number of groups when groups_mode is all',
            });
        }
      }
    }
    charter.prohibited.forEach((p, i) => {
      for (const env of p.environments ?? [])
        if (!envs.has(env))
          ctx.addIssue({
            code: 'custom',
            path: ['prohibited', i, 'environments'],
            message: `names environment "${env}", which is not under environments`,
          });
    });
    const owners = Object.values(charter.owners);
    for (const [env, spec] of Object.entries(charter.environments)) {
      const override = spec.promotion_override;
      if (override && !owners.includes(override.by))
        ctx.addIssue({
          code: 'custom',
          path: ['environments', env, 'promotion_override', 'by'],
          message: `must be one of the charter's owners (${owners.join(', ')})`,
        });
    }
    const breakerNames = new Set<string>();
    charter.breakers.forEach((b, i) => {
      if (breakerNames.has(b.name))
        ctx.addIssue({ code: 'custom', path: ['breakers', i, 'name'], message: `"${b.name}" is used twice` });
      breakerNames.add(b.name);
      if (b.kind === 'rate' && b.environment && !envs.has(b.environment))
        ctx.addIssue({
          code: 'custom',
          path: ['breakers', i, 'environment'],
          message: `names environment "${b.environment}", which is not under environments`,
        });
    });
  });

/** A charter as written in YAML, after validation. */
export type CharterSpec = z.infer<typeof charterSchema>;

/** A loaded charter: the validated spec plus where it came from and its content hash. */
export type Charter = CharterSpec & {
  /** sha256 of the file's canonical content; recorded in every audit event. */
  hash: string;
  file: string;
};
