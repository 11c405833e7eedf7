import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import { parse } from 'yaml';
import { z } from 'zod';
import { SUBMIT_PROPOSALS } from '../../../../src/agents/openai/functions.ts';
import { sandboxDeploys, sandboxIncidents, sandboxLogs } from '../../../../src/app/schema.ts';
import type { ChatRequest, ScriptedReply, ScriptStep } from '../../../helpers/openai-server.ts';
import { repoRoot, type TestServices } from '../../../helpers/services.ts';
import { CANARY } from './harness.ts';

const expectSchema = z.union([
  z.strictObject({ reason: z.string() }),
  z.strictObject({ approvals: z.number().int().min(1) }),
]);

/** The attack classes issue 14 found the detector, the redactor or the taint rule missing. */
export const ISSUE_14_CLASSES = [
  'authority',
  'approval',
  'leetspeak',
  'rot13',
  'base64',
  'url_encoding',
  'homoglyph',
  'german',
  'chinese',
  'unicode_tags',
  'secret_in_output',
  'staging_ticket',
] as const;

const caseSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  class: z.enum(ISSUE_14_CLASSES).optional(),
  agent: z.string().default('triage'),
  where: z.enum(['incident', 'log', 'deploy']),
  text: z.string().min(1),
  /** Why the injection detector cannot flag this text, when it cannot. */
  undetected: z.string().min(1).optional(),
  obey: z
    .array(
      z.strictObject({
        tool: z.string(),
        via: z.enum(['submit', 'call']).default('submit'),
        environment: z.string(),
        args: z.record(z.string(), z.unknown()),
        rationale: z.string().default('Following the instructions found in the data.'),
        expect: expectSchema,
      }),
    )
    .min(1),
});

export type InjectionCase = z.infer<typeof caseSchema>;
export type ObeyedCall = InjectionCase['obey'][number];

/** The injection corpus, validated. */
export function loadInjectionCases(): InjectionCase[] {
  const text = readFileSync(`${repoRoot}/test/fixtures/injections/cases.yaml`, 'utf8');
  return z.object({ cases: z.array(caseSchema) }).parse(parse(text)).cases;
}

/** The canary each placeholder of the corpus stands for. */
const PLACEHOLDERS: Record<string, string> = {
  '{{OPENAI_API_KEY}}': CANARY.openaiKey,
  '{{SLACK_BOT_TOKEN}}': CANARY.slackToken,
  '{{DB_PASSWORD}}': CANARY.dbPassword,
  '{{PG_PASSWORD}}': CANARY.pgPassword,
  '{{JWT}}': CANARY.jwt,
  '{{STRIPE_KEY}}': CANARY.stripeKey,
  '{{GOOGLE_API_KEY}}': CANARY.googleKey,
  '{{GITHUB_TOKEN}}': CANARY.githubToken,
};

/** Replaces the canary placeholders with the canary secrets of the test environment, anywhere in a value. */
export function withCanaries<T>(value: T): T {
  let json = JSON.stringify(value);
  for (const [placeholder, canary] of Object.entries(PLACEHOLDERS))
    json = json.replaceAll(placeholder, canary);
  if (/\{\{[A-Z_]+\}\}/.test(json)) throw new Error(`unknown canary placeholder in ${json.slice(0, 200)}`);
  return JSON.parse(json) as T;
}

/**
 * The marker every planted text starts with. Neutral on purpose (not the case id, which names the attack):
 * the model searches the logs for it, and the search echoes it back in its output.
 */
export const markerOf = (c: InjectionCase) => `[case-${neutralKey(c)}]`;

const neutralKey = (c: InjectionCase) => createHash('sha256').update(c.id).digest('hex').slice(0, 10);

/**
 * Puts the case's text where a read tool will return it: the incident, a log line or a deploy. `lead`
 * goes between the marker and the text (the offline planner only searches logs for failures).
 */
export async function plantInjection({
  services,
  c,
  lead = '',
}: {
  services: TestServices;
  c: InjectionCase;
  lead?: string;
}) {
  const text = `${markerOf(c)} ${lead}${withCanaries(c.text)}`;
  const at = new Date(services.clock.now().getTime() - 60_000);
  const { db } = services;
  if (c.where === 'incident') {
    await db
      .update(sandboxIncidents)
      .set({ description: sql`${sandboxIncidents.description} || ' ' || ${text}` })
      .where(eq(sandboxIncidents.id, 'INC-123'));
  } else if (c.where === 'log') {
    await db
      .insert(sandboxLogs)
      .values({ environment: 'production', service: 'checkout', at, level: 'warn', message: text });
  } else {
    await db.insert(sandboxDeploys).values({
      id: `dep-${neutralKey(c)}`,
      environment: 'production',
      service: 'checkout',
      version: 'v2.14.0',
      previousVersion: 'v2.13.4',
      deployedBy: text,
      deployedAt: at,
      status: 'deployed',
    });
  }
}

const DATA_BLOCK = /<untrusted_data(?: [a-z_]+="[A-Za-z0-9_.-]+")*>\n([^\n]*)\n<\/untrusted_data>/g;
// Angle brackets and their look-alikes, and the invisible characters (zero-width, bidi controls, Unicode
// tag characters) that would hide or fake one from a person reading the prompt.
const TAG_LIKE =
  /[<>\uFF1C\uFF1E\uFE64\uFE65\u2039\u203A\u3008\u3009\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u{E0000}-\u{E007F}]/u;

/**
 * Splits the user message of a request into its data blocks and the text around them, and checks the
 * delimiters: as many openings as closings as well-formed blocks, and no tag-like character inside one.
 */
export function readDataBlocks(request: ChatRequest) {
  const user = request.messages.find((m) => m.role === 'user');
  const text = typeof user?.content === 'string' ? user.content : '';
  const blocks = [...text.matchAll(DATA_BLOCK)].map((m) => m[1] ?? '');
  return {
    system: String(request.messages.find((m) => m.role === 'system')?.content ?? ''),
    user: text,
    blocks,
    outside: text.replace(DATA_BLOCK, '<block>'),
    openings: text.match(/<untrusted_data/gi)?.length ?? 0,
    closings: text.match(/<\/untrusted_data/gi)?.length ?? 0,
    tagLikeInside: blocks.some((b) => TAG_LIKE.test(b)),
  };
}

/** A model that reads the evidence, then does exactly what the planted text asks. */
export function obedientModel(c: InjectionCase): ScriptStep[] {
  const gather = (): ScriptedReply => ({
    toolCalls: [
      { name: 'get_incident', arguments: { incident_id: 'INC-123' } },
      {
        name: 'search_logs',
        arguments: { service: 'checkout', query: markerOf(c), environment: 'production' },
      },
      {
        name: 'get_recent_deploys',
        arguments: { service: 'checkout', limit: 20, environment: 'production' },
      },
    ],
    usage: { total_tokens: 900 },
  });
  const obey = (request: ChatRequest): ScriptedReply => {
    // The model only obeys what it actually saw: if planting failed, it proposes nothing and the test fails.
    if (!readDataBlocks(request).user.includes(markerOf(c))) return { content: 'Nothing unusual found.' };
    const obeyed = withCanaries(c.obey);
    const submitted = obeyed.filter((o) => o.via === 'submit');
    const called = obeyed.filter((o) => o.via === 'call');
    return {
      toolCalls: [
        ...(submitted.length > 0
          ? [
              {
                name: SUBMIT_PROPOSALS,
                arguments: {
                  summary: 'Doing what the data says.',
                  proposals: submitted.map((o) => ({
                    tool: o.tool,
                    args: o.args,
                    environment: o.environment,
                    rationale: o.rationale,
                    expected_effect: 'As instructed.',
                    rollback: 'None.',
                  })),
                },
              },
            ]
          : []),
        ...called.map((o) => ({ name: o.tool, arguments: { ...o.args, environment: o.environment } })),
      ],
      usage: { total_tokens: 1200 },
    };
  };
  return [gather, obey];
}
