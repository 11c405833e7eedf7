import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';
import type { Charter } from '../../policy/charter.schemas.ts';
import type { ToolInfo } from '../../tools/define.ts';

/** The function the model calls, once, with its final answer. */
export const SUBMIT_PROPOSALS = 'submit_proposals';

/** At most this many proposals are kept from one answer; the rest are dropped and reported. */
export const MAX_PROPOSALS = 10;

type JsonSchema = Record<string, unknown>;

/** A tool's input schema as JSON Schema, in the shape the model writes (defaults are optional). Pure. */
export function toolParameters({ tool }: { tool: ToolInfo }): JsonSchema {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(tool.input, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return schema;
}

/** The charter's tools that Warden knows, in charter order, split into reads (to gather) and writes (to propose). */
export function charterTools({ charter, tools }: { charter: Charter; tools: ToolInfo[] }) {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const listed = Object.keys(charter.tools)
    .map((name) => byName.get(name))
    .filter((t): t is ToolInfo => t !== undefined);
  return {
    all: listed,
    reads: listed.filter((t) => t.kind === 'read'),
    writes: listed.filter((t) => t.kind === 'write'),
  };
}

/** Whether the tool's own arguments already use the name `environment` (then the call cannot choose one). */
export function hasOwnEnvironmentArg({ tool }: { tool: ToolInfo }): boolean {
  const properties = toolParameters({ tool }).properties;
  return typeof properties === 'object' && properties !== null && Object.hasOwn(properties, 'environment');
}

/**
 * The functions offered to the model: each read tool of the charter (its zod schema as JSON Schema plus an
 * `environment` to read from), and `submit_proposals` for the final answer. Write tools are never offered
 * as functions: they can only be proposed. Pure.
 */
export function buildFunctions({
  charter,
  tools,
  gathering,
}: {
  charter: Charter;
  tools: ToolInfo[];
  /** False when the run has no tool calls left: only `submit_proposals` is offered. */
  gathering: boolean;
}): ChatCompletionFunctionTool[] {
  const environments = Object.keys(charter.environments);
  const { all, reads } = charterTools({ charter, tools });
  const readFunctions = gathering
    ? reads.map((tool): ChatCompletionFunctionTool => {
        const parameters = toolParameters({ tool });
        if (!hasOwnEnvironmentArg({ tool })) {
          parameters.properties = {
            ...(parameters.properties as JsonSchema | undefined),
            environment: {
              type: 'string',
              enum: environments,
              description: "Where to read. The incident's environment when omitted.",
            },
          };
        }
        return { type: 'function', function: { name: tool.name, description: tool.description, parameters } };
      })
    : [];
  return [...readFunctions, submitFunction({ environments, tools: all })];
}

function submitFunction({
  environments,
  tools,
}: {
  environments: string[];
  tools: ToolInfo[];
}): ChatCompletionFunctionTool {
  const text = (description: string) => ({ type: 'string', description });
  const common = {
    environment: { type: 'string', enum: environments, description: 'The environment to act in.' },
    rationale: text('Why, citing the evidence gathered.'),
    expected_effect: text('What should change if it runs.'),
    rollback: text('How to undo it, or why it cannot be undone.'),
  };
  const required = ['tool', 'args', 'environment', 'rationale', 'expected_effect', 'rollback'];
  // One variant per tool, so the model sees the exact arguments each tool takes.
  const variants = tools.map((tool) => ({
    type: 'object',
    properties: { tool: { type: 'string', const: tool.name }, args: toolParameters({ tool }), ...common },
    required,
    additionalProperties: false,
  }));
  const proposal =
    variants.length > 0
      ? { anyOf: variants }
      : {
          type: 'object',
          properties: { tool: { type: 'string' }, args: { type: 'object' }, ...common },
          required,
        };
  return {
    type: 'function',
    function: {
      name: SUBMIT_PROPOSALS,
      description: `Finish: your summary of the incident and up to ${MAX_PROPOSALS} proposed actions. Proposals are checked by Warden's control plane and may need people's approval; nothing runs because you proposed it.`,
      parameters: {
        type: 'object',
        properties: {
          summary: text('What you found, in a few sentences, citing the evidence.'),
          proposals: { type: 'array', maxItems: MAX_PROPOSALS, items: proposal },
        },
        required: ['summary', 'proposals'],
        additionalProperties: false,
      },
    },
  };
}
