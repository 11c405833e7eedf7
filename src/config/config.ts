import { hostname } from 'node:os';
import { z } from 'zod';
import { wardenError } from '../shared/errors.ts';
import { envSchema } from './config.schemas.ts';

/** A whole number in [min, max], or `fallback` when unset or blank. */
const bounded = ({
  min,
  max,
  fallback,
  unit,
}: {
  min: number;
  max: number;
  fallback: number;
  unit: string;
}) =>
  z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined))
    .pipe(
      z
        .string()
        .regex(/^\d+$/, `must be a whole number of ${unit}`)
        .transform(Number)
        .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
        .optional(),
    )
    .transform((v) => v ?? fallback);

/** The environment with the Slack load-shedding limits (defaults and why: `src/slack/admission.ts`). */
const fullEnvSchema = envSchema.extend({
  /** Slack requests dispatched and not yet acked, at most; more are answered "busy" at once. */
  WARDEN_SLACK_MAX_IN_FLIGHT: bounded({ min: 1, max: 10_000, fallback: 64, unit: 'requests' }),
  /** Event-loop delay (p99, last second) above which Slack requests are answered "busy" at once. */
  WARDEN_SLACK_MAX_EVENT_LOOP_DELAY_MS: bounded({
    min: 50,
    max: 2_500,
    fallback: 1_000,
    unit: 'milliseconds',
  }),
});

/** Warden's configuration, parsed once from the environment. */
export type Config = {
  slack: {
    signingSecret?: string;
    botToken?: string;
    appToken?: string;
    apiUrl?: string;
    auditChannel?: string;
    alertsChannel?: string;
    /** When Slack requests (HTTP or Socket Mode) are answered "busy" instead of started (`src/slack/admission.ts`). */
    admission: { maxInFlight: number; maxEventLoopDelayMs: number };
  };
  port: number;
  database: { url?: string; dataDir: string };
  worldFile: string;
  instanceId: string;
  /** `timeoutMs`: per model request (OPENAI_TIMEOUT_MS). */
  openai: { apiKey?: string; baseUrl?: string; model: string; timeoutMs: number };
  /** Agent runs this instance works on at once (WARDEN_MAX_RUNS); more are refused as busy. */
  maxRuns: number;
  /** Where agent runs work (WARDEN_RUN_WORKER): a worker thread of their own, or the serving thread. */
  runWorker: 'thread' | 'inline';
  /** The run worker thread's nice value once it is up (WARDEN_RUN_WORKER_NICE, Linux only). */
  runWorkerNice: number;
  chartersDir: string;
  /** The service catalog and the connections to real systems (absent: none, the sandbox only). */
  catalogDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `POST /webhooks/alertmanager`: its bearer token (absent: the route is off) and the agent it starts. */
  alertmanager: { webhookToken?: string; agent: string };
  /**
   * `stdioToken`: `warden mcp`'s client token (`WARDEN_MCP_TOKEN`; HTTP clients send theirs per request).
   * `channel`: where each MCP session's thread (and its approval cards) is posted (`WARDEN_MCP_CHANNEL`).
   */
  mcp: { stdioToken?: string; channel?: string; authorizationServers: string[] };
  /** Warden's address as clients reach it (`WARDEN_PUBLIC_URL`); absent: each request's Host. */
  publicUrl?: string;
  /** Local mode: no Slack workspace configured, so Warden runs its own emulator and console. */
  localMode: boolean;
  /** Values that must never appear in logs, audit events, prompts or Slack. */
  secrets: string[];
  /** The environment the catalog's `{ env: NAME }` secret sources are read from (and nothing else). */
  secretEnv: Readonly<Record<string, string | undefined>>;
};

/** Parses the environment; a bad value throws `config.invalid` with one line naming the variable. */
export function parseConfig({ env }: { env: Record<string, string | undefined> }): Config {
  const parsed = fullEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw wardenError({
      code: 'config.invalid',
      message: `${name} ${issue ? describeIssue(issue) : 'is invalid'}`,
      details: { variable: name },
    });
  }
  const e = parsed.data;
  // The worker thread opens its own connections: the embedded database lives in this thread alone.
  if (e.WARDEN_RUN_WORKER === 'thread' && !e.DATABASE_URL) {
    throw wardenError({
      code: 'config.invalid',
      message:
        'WARDEN_RUN_WORKER=thread needs DATABASE_URL: the embedded database serves one thread only. Unset it, or set it to inline.',
      details: { variable: 'WARDEN_RUN_WORKER' },
    });
  }
  const secrets = [
    e.SLACK_SIGNING_SECRET,
    e.SLACK_BOT_TOKEN,
    e.SLACK_APP_TOKEN,
    e.OPENAI_API_KEY,
    e.WARDEN_ALERTMANAGER_WEBHOOK_TOKEN,
    e.WARDEN_MCP_TOKEN,
  ];
  const dbPassword = e.DATABASE_URL ? new URL(e.DATABASE_URL).password : '';
  if (dbPassword) secrets.push(decodeURIComponent(dbPassword));
  return {
    slack: {
      signingSecret: e.SLACK_SIGNING_SECRET,
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      auditChannel: e.SLACK_AUDIT_CHANNEL,
      alertsChannel: e.SLACK_ALERTS_CHANNEL,
      admission: {
        maxInFlight: e.WARDEN_SLACK_MAX_IN_FLIGHT,
        maxEventLoopDelayMs: e.WARDEN_SLACK_MAX_EVENT_LOOP_DELAY_MS,
      },
    },
    port: e.PORT,
    database: { url: e.DATABASE_URL, dataDir: e.WARDEN_DATA_DIR },
    worldFile: e.WARDEN_WORLD_FILE,
    instanceId: e.WARDEN_INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    openai: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      model: e.OPENAI_MODEL,
      timeoutMs: e.OPENAI_TIMEOUT_MS,
    },
    maxRuns: e.WARDEN_MAX_RUNS,
    runWorker: e.WARDEN_RUN_WORKER ?? (e.DATABASE_URL ? 'thread' : 'inline'),
    runWorkerNice: e.WARDEN_RUN_WORKER_NICE,
    chartersDir: e.CHARTERS_DIR,
    catalogDir: e.WARDEN_CATALOG_DIR,
    logLevel: e.LOG_LEVEL,
    alertmanager: { webhookToken: e.WARDEN_ALERTMANAGER_WEBHOOK_TOKEN, agent: e.WARDEN_ALERT_AGENT },
    mcp: {
      stdioToken: e.WARDEN_MCP_TOKEN,
      channel: e.WARDEN_MCP_CHANNEL,
      authorizationServers: e.WARDEN_MCP_AUTHORIZATION_SERVERS,
    },
    publicUrl: e.WARDEN_PUBLIC_URL,
    localMode: e.SLACK_BOT_TOKEN === undefined,
    secrets: secrets.filter((s): s is string => typeof s === 'string' && s.length > 0),
    secretEnv: Object.freeze({ ...env }),
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map(String).join(', ')}`;
  if (issue.code === 'too_big' || issue.code === 'too_small') return `is out of range (${issue.message})`;
  if (issue.code === 'invalid_type') return `must be a ${issue.expected}`;
  return issue.message;
}
