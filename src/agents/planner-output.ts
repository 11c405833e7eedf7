import { z } from 'zod';
import { clipAtWord } from '../shared/clip.ts';
import type { PlannedProposal } from './planner.types.ts';

/**
 * Model output is untrusted data (DESIGN §4.8): every step a planner returns is parsed here before the
 * runner acts on it. A step of the wrong shape ends the run; a single bad call or proposal is skipped.
 */

const MAX_TEXT = 2_000;
const text = z.string().transform((s) => clipAtWord(s, MAX_TEXT));
const name = z.string().min(1).max(64);
const args = z.record(z.string(), z.unknown());

const callSchema = z.object({ tool: name, args, environment: name });
const proposalSchema = z.object({
  tool: name,
  args,
  environment: name,
  rationale: text,
  expectedEffect: text,
  rollback: text,
});
const tokens = z.number().int().min(0).max(10_000_000);
/** The model the provider says answered (its own words: clipped, and dropped when not text). */
const model = z
  .unknown()
  .transform((v) => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 100) : undefined))
  .optional();

const stepSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('gather'), calls: z.array(z.unknown()).max(50), tokens, model }),
  z.object({
    kind: z.literal('final'),
    summary: z.string().transform((s) => clipAtWord(s, 4 * MAX_TEXT)),
    proposals: z.array(z.unknown()).max(1_000),
    tokens,
    model,
  }),
]);

export type ParsedStep =
  | { kind: 'gather'; calls: unknown[]; tokens: number; model?: string | undefined }
  | { kind: 'final'; summary: string; proposals: unknown[]; tokens: number; model?: string | undefined };

export type GatherCall = z.infer<typeof callSchema>;

/** Reads a planner step; `error` says what was wrong with it when it cannot be used. */
export function parsePlannerStep(
  value: unknown,
): { step: ParsedStep; error: null } | { step: null; error: string } {
  const parsed = stepSchema.safeParse(value);
  if (parsed.success) return { step: parsed.data, error: null };
  return { step: null, error: describeIssue(parsed.error) };
}

/** Reads one evidence call of a `gather` step. */
export function parseGatherCall(
  value: unknown,
): { call: GatherCall; error: null } | { call: null; error: string } {
  const parsed = callSchema.safeParse(value);
  if (parsed.success) return { call: parsed.data, error: null };
  return { call: null, error: describeIssue(parsed.error) };
}

/** Reads one proposal of a `final` step. */
export function parseProposal(
  value: unknown,
): { proposal: PlannedProposal; error: null } | { proposal: null; error: string } {
  const parsed = proposalSchema.safeParse(value);
  if (parsed.success) return { proposal: parsed.data, error: null };
  return { proposal: null, error: describeIssue(parsed.error) };
}

/** The tool name of an unreadable item, when it has a plausible one (for the audit event). */
export function toolNameOf(value: unknown): string | null {
  if (!value || typeof value !== 'object') return null;
  const tool = (value as { tool?: unknown }).tool;
  return typeof tool === 'string' ? tool.slice(0, 64) : null;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'it does not have the expected shape';
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the value';
  return `${where}: ${issue.message}`;
}
