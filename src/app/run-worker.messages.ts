import type { SlashCommand } from '@slack/bolt';
import { z } from 'zod';
import type { RunOutcome } from '../agents/run/run.types.ts';
import { slashCommandSchema } from '../slack/request.schemas.ts';

/**
 * What the serving thread and the run worker (`run-worker.ts`, `run-worker.thread.ts`) say to each other.
 * Both sides are Warden's own code, but each message is still checked: a malformed one is logged and dropped.
 */
export const toWorker = z.discriminatedUnion('type', [
  /** Work through this recorded run (its `runBy` is the worker's instance id). */
  z.object({ type: z.literal('run'), runId: z.string().min(1) }),
  /** The kill switch stopped this run on the serving thread: stop it here at once (NOTIFY follows too). */
  z.object({ type: z.literal('abort'), runId: z.string().min(1), message: z.string() }),
  /** Its counters and histograms, for the serving thread's `GET /metrics`. */
  z.object({ type: z.literal('metrics'), requestId: z.number().int() }),
  /**
   * A slash command the serving thread acked: do its work here (`run-worker.slack.ts`). `receivedAtMs`
   * is when the request arrived, in epoch milliseconds: its deadline runs from then in this thread too.
   */
  z.object({
    type: z.literal('command'),
    command: z.custom<SlashCommand>((v) => slashCommandSchema.safeParse(v).success),
    requestKey: z.string().min(1).optional(),
    receivedAtMs: z.number().optional(),
  }),
  /** Close down: stop listening, close the connections, exit. */
  z.object({ type: z.literal('stop') }),
]);
export type ToWorker = z.infer<typeof toWorker>;

export const fromWorker = z.discriminatedUnion('type', [
  /**
   * Services are built: runs may be handed over. `slack`: it also takes acked slash commands and mirrors
   * into Slack (`run-worker.slack.ts`), so the serving thread's mirror stops polling.
   */
  z.object({ type: z.literal('ready'), slack: z.boolean() }),
  /** Start-up failed; the worker exits. `message` is one sentence for a person. */
  z.object({ type: z.literal('failed'), message: z.string() }),
  /** The run ended (recorded): how. */
  z.object({
    type: z.literal('ended'),
    runId: z.string(),
    outcome: z.custom<RunOutcome>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { state?: unknown }).state === 'string',
    ),
  }),
  /** The worker would not work on the run (not its own, ended, charter changed): nothing of it ran. */
  z.object({ type: z.literal('refused'), runId: z.string(), message: z.string() }),
  /** Its counters and histograms as prom-client's `getMetricsAsJSON()` gives them. */
  z.object({
    type: z.literal('metrics'),
    requestId: z.number().int(),
    metrics: z.array(z.custom<object>((v) => typeof v === 'object' && v !== null)),
  }),
]);
export type FromWorker = z.infer<typeof fromWorker>;

/** What the worker thread is started with. */
export const workerStart = z.object({
  /** The environment the serving thread's configuration was parsed from. */
  env: z.record(z.string(), z.string()),
  /** The worker's own instance id (the serving thread's, plus `.runs`). */
  instanceId: z.string().min(1),
});
export type WorkerStart = z.infer<typeof workerStart>;
