import { z } from 'zod';
import type { Charter } from '../../policy/charter.schemas.ts';
import { clipAtWord } from '../../shared/clip.ts';
import { plural } from '../../shared/plural.ts';
import type { ToolInfo } from '../../tools/define.ts';
import type { PlannedProposal, PlannerStep } from '../planner.types.ts';
import { charterTools, hasOwnEnvironmentArg, MAX_PROPOSALS, SUBMIT_PROPOSALS } from './functions.ts';

/** One function call as the model sent it: a name and its arguments as raw JSON text. */
export type ModelToolCall = { name: string; arguments: string };

/** The part of a chat completion the planner reads. */
export type ModelAnswer = { toolCalls: ModelToolCall[]; content: string | null; tokens: number };

const MAX_GATHER_CALLS = 10;
const MAX_SUMMARY_CHARS = 2_000;
const MAX_TEXT_CHARS = 1_000;
const MAX_RAW_ARGS_CHARS = 500;
/** Tool and environment names longer than this are cut (they are then unknown to the guard, which says so). */
const MAX_NAME_CHARS = 64;

/** The final answer's shape. Extra keys (`pre_approved`, `approved_by`, …) carry no meaning and are dropped. */
const submissionSchema = z.object({
  summary: z.string(),
  proposals: z.array(
    z.object({
      tool: z.string().min(1),
      args: z.record(z.string(), z.unknown()),
      environment: z.string().min(1),
      rationale: z.string().default(''),
      expected_effect: z.string().default(''),
      rollback: z.string().default(''),
    }),
  ),
});

/**
 * Turns the model's answer into a planner step. Calls to the charter's read tools become a `gather`;
 * `submit_proposals` becomes the `final` answer (validated; an invalid one yields no proposals); any other
 * call (a write tool, an unknown tool) is never run as a gather but becomes a proposal the guard decides on.
 * Never throws on model output. Pure.
 */
export function answerToStep({
  answer,
  charter,
  tools,
  environment,
}: {
  answer: ModelAnswer;
  charter: Charter;
  tools: ToolInfo[];
  /** The incident's environment, when known: the default for calls that name none. */
  environment: string | null;
}): PlannerStep {
  const { tokens } = answer;
  const readTools = new Map(charterTools({ charter, tools }).reads.map((t) => [t.name, t]));
  const submissions = answer.toolCalls.filter((c) => c.name === SUBMIT_PROPOSALS);
  const reads = answer.toolCalls.filter((c) => readTools.has(c.name));
  const others = answer.toolCalls.filter((c) => c.name !== SUBMIT_PROPOSALS && !readTools.has(c.name));
  const fallbackEnvironment = environment ?? Object.keys(charter.environments)[0] ?? 'unspecified';

  if (submissions.length === 0 && others.length === 0) {
    if (reads.length > 0) {
      const calls = reads.slice(0, MAX_GATHER_CALLS).map((call) => {
        const tool = readTools.get(call.name)!;
        const { args, environment: named } = splitEnvironment({
          args: parseArguments(call.arguments),
          enabled: !hasOwnEnvironmentArg({ tool }),
        });
        return { tool: call.name, args, environment: named ?? fallbackEnvironment };
      });
      return { kind: 'gather', calls, tokens };
    }
    const said = answer.content?.trim();
    return {
      kind: 'final',
      summary: said
        ? clip(`The model answered without submitting proposals: ${said}`, MAX_SUMMARY_CHARS)
        : 'The model gave no answer (no tool call and no text), so nothing is proposed.',
      proposals: [],
      tokens,
    };
  }

  const notes: string[] = [];
  let summary = '';
  let proposals: PlannedProposal[] = [];
  const [submission] = submissions;
  if (submission) {
    const parsed = submissionSchema.safeParse(parseJson(submission.arguments));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'the answer';
      return {
        kind: 'final',
        summary: `The model's answer was invalid (${where}: ${issue?.message ?? 'not the expected shape'}), so nothing is proposed.`,
        proposals: [],
        tokens,
      };
    }
    summary = clip(parsed.data.summary, MAX_SUMMARY_CHARS);
    proposals = parsed.data.proposals.map((p) => ({
      tool: clip(p.tool, MAX_NAME_CHARS),
      args: p.args,
      environment: clip(p.environment, MAX_NAME_CHARS),
      rationale: clip(p.rationale, MAX_TEXT_CHARS),
      expectedEffect: clip(p.expected_effect, MAX_TEXT_CHARS),
      rollback: clip(p.rollback, MAX_TEXT_CHARS),
    }));
    if (submissions.length > 1)
      notes.push(
        `${plural(submissions.length - 1, 'further submission')} ${submissions.length === 2 ? 'was' : 'were'} ignored.`,
      );
  }
  // A write or unknown tool the model tried to call directly: the guard decides on it like any proposal.
  for (const call of others) {
    const { args, environment: named } = splitEnvironment({
      args: parseArguments(call.arguments),
      enabled: true,
    });
    proposals.push({
      tool: clip(call.name, MAX_NAME_CHARS),
      args,
      environment: named ?? environment ?? 'unspecified',
      rationale: 'The model called this tool directly; Warden turned the call into a proposal.',
      expectedEffect: '',
      rollback: '',
    });
  }
  if (reads.length > 0)
    notes.push(
      `${plural(reads.length, 'read call')} sent with the final answer ${reads.length === 1 ? 'was' : 'were'} not run.`,
    );
  if (proposals.length > MAX_PROPOSALS) {
    notes.push(
      `The model proposed ${proposals.length} actions; only the first ${MAX_PROPOSALS} are kept and ${proposals.length - MAX_PROPOSALS} were dropped.`,
    );
    proposals = proposals.slice(0, MAX_PROPOSALS);
  }
  const text = [summary || 'The model gave no summary.', ...notes].join(' ');
  return { kind: 'final', summary: clip(text, MAX_SUMMARY_CHARS + 500), proposals, tokens };
}

/** Arguments as an object; anything that is not a JSON object is kept as text for the guard to refuse. */
function parseArguments(raw: string): Record<string, unknown> {
  const value = parseJson(raw);
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  return { unparsed_arguments: clip(raw, MAX_RAW_ARGS_CHARS) };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Takes a string `environment` out of the arguments (where the call says it acts). */
function splitEnvironment({ args, enabled }: { args: Record<string, unknown>; enabled: boolean }): {
  args: Record<string, unknown>;
  environment: string | null;
} {
  if (!enabled || typeof args.environment !== 'string') return { args, environment: null };
  const { environment, ...rest } = args;
  return { args: rest, environment: clip(environment, MAX_NAME_CHARS) };
}

// Cut at a word boundary: the guard redacts this text after the cut, and half a secret would not match.
const clip = clipAtWord;
