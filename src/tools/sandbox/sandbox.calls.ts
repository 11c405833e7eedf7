import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import type { Db, Tx } from '../../db/client.ts';
import type { Clock } from '../../shared/clock.ts';
import { type WardenError, wardenError } from '../../shared/errors.ts';
import type { Redactor } from '../../shared/redact.ts';
import type { CredentialBroker } from '../broker.ts';
import {
  defineTool,
  type ToolContext,
  type ToolInfo,
  type ToolResult,
  type VerifiedEffect,
} from '../define.ts';
import { type ChangeRow, claimChange, completeChange, findChange } from './sandbox.repository.ts';

/** What every sandbox tool is built from. */
export type SandboxToolDeps = {
  db: Db;
  broker: Pick<CredentialBroker, 'verify'>;
  clock: Clock;
  redactor: Redactor;
  /** Simulated latency of a write before its effect, during which an abort stops it. */
  writeDelayMs: number;
};

/** The error every sandbox tool throws when its call was cancelled before the effect committed. */
export function abortedError(signal: AbortSignal): WardenError {
  return wardenError({
    code: 'tools.aborted',
    message: 'The call was cancelled before it changed anything.',
    cause: signal.reason,
  });
}

/** Throws `tools.aborted` when the signal has fired. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortedError(signal);
}

/** A tool's description with its own input type (the `…Info` object each sandbox tool exports). */
type SandboxToolInfo<Input extends Record<string, unknown>> = Omit<ToolInfo, 'input'> & {
  input: z.ZodType<Input>;
};

/** A sandbox read tool: the credential is checked before `read` runs, and what it returns is redacted. */
export function sandboxReadTool<Input extends Record<string, unknown>>({
  info,
  deps,
  read,
}: {
  info: SandboxToolInfo<Input>;
  deps: SandboxToolDeps;
  read: (call: { args: Input; context: ToolContext }) => Promise<ToolResult>;
}) {
  return defineTool<Input>({
    ...info,
    execute: (args, context) =>
      runRead({ deps, tool: info.name, context, read: () => read({ args, context }) }),
  });
}

/** A sandbox write tool: `write` runs at most once per idempotency key, in the transaction `runWrite` opens. */
export function sandboxWriteTool<Input extends Record<string, unknown>>({
  info,
  deps,
  write,
}: {
  info: SandboxToolInfo<Input>;
  deps: SandboxToolDeps;
  write: (call: { args: Input; context: ToolContext; tx: Tx; now: Date }) => Promise<ToolResult>;
}) {
  return defineTool<Input>({
    ...info,
    execute: (args, context) =>
      runWrite({ deps, tool: info.name, context, write: ({ tx, now }) => write({ args, context, tx, now }) }),
    // The change record commits with the effect, so it says for certain whether the effect happened.
    verify: async (_args, context): Promise<VerifiedEffect> => {
      await authorise({ deps, tool: info.name, context });
      const change = await findChange({ db: deps.db, key: context.idempotencyKey });
      if (!change)
        return { effect: 'absent', summary: `No ${info.name} change was recorded for this proposal.` };
      return { effect: 'present', result: replay({ change, tool: info.name, context }) };
    },
  });
}

/** Runs a read: credential check, the query, then redaction of everything returned. */
async function runRead({
  deps,
  tool,
  context,
  read,
}: {
  deps: SandboxToolDeps;
  tool: string;
  context: ToolContext;
  read: () => Promise<ToolResult>;
}): Promise<ToolResult> {
  await authorise({ deps, tool, context });
  const result = await read();
  throwIfAborted(context.signal);
  return deps.redactor.redactValue(result);
}

/**
 * Runs a write at most once per idempotency key: the key is claimed, the effect made and its result
 * recorded in one transaction. A repeated or concurrent call with the same key gets the first result;
 * an abort before the commit rolls everything back.
 */
async function runWrite({
  deps,
  tool,
  context,
  write,
}: {
  deps: SandboxToolDeps;
  tool: string;
  context: ToolContext;
  write: (input: { tx: Tx; now: Date }) => Promise<ToolResult>;
}): Promise<ToolResult> {
  await authorise({ deps, tool, context });
  const key = context.idempotencyKey;
  const done = await findChange({ db: deps.db, key });
  if (done) return replay({ change: done, tool, context });
  await pause({ ms: deps.writeDelayMs, signal: context.signal });
  return deps.db.transaction(async (tx) => {
    throwIfAborted(context.signal);
    const now = deps.clock.now();
    const claimed = await claimChange({ db: tx, key, tool, environment: context.environment, at: now });
    if (!claimed) {
      const change = await findChange({ db: tx, key });
      if (!change)
        throw wardenError({ code: 'tools.idempotency_conflict', message: 'The change record vanished.' });
      return replay({ change, tool, context });
    }
    const result = deps.redactor.redactValue(await write({ tx, now }));
    // Last moment an abort can still undo the effect: after this the transaction commits.
    throwIfAborted(context.signal);
    await completeChange({ db: tx, key, result });
    return result;
  });
}

async function authorise({
  deps,
  tool,
  context,
}: {
  deps: SandboxToolDeps;
  tool: string;
  context: ToolContext;
}) {
  throwIfAborted(context.signal);
  await deps.broker.verify({
    token: context.credential,
    tool,
    environment: context.environment,
    proposalId: context.proposalId,
  });
}

function replay({
  change,
  tool,
  context,
}: {
  change: ChangeRow;
  tool: string;
  context: ToolContext;
}): ToolResult {
  if (change.tool !== tool || change.environment !== context.environment)
    throw wardenError({
      code: 'tools.idempotency_conflict',
      message: `Idempotency key already used by ${change.tool} in ${change.environment}.`,
      details: { tool, environment: context.environment },
    });
  return change.result as ToolResult;
}

async function pause({ ms, signal }: { ms: number; signal: AbortSignal }): Promise<void> {
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    if (signal.aborted) throw abortedError(signal);
    throw error;
  }
}
