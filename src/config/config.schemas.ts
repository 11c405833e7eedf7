import { z } from 'zod';

const optionalText = z
  .string()
  .transform((s) => s.trim())
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const url = (what: string) =>
  optionalText.refine((v) => v === undefined || URL.canParse(v), { message: `must be a ${what} URL` });

/** A whole number in [min, max] (`what` names its unit in the message), or `fallback` when unset. */
const wholeNumber = ({
  min,
  max,
  fallback,
  what = 'a whole number',
}: {
  min: number;
  max: number;
  fallback: number;
  what?: string;
}) =>
  optionalText
    .pipe(
      z
        .string()
        .regex(/^\d+$/, `must be ${what}`)
        .transform(Number)
        .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
        .optional(),
    )
    .transform((v) => v ?? fallback);

/** The environment Warden reads (DESIGN §5). Nothing else reads `process.env`. */
export const envSchema = z.object({
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_BOT_TOKEN: optionalText.refine((v) => v === undefined || /^xox[bp]-/.test(v), {
    message: 'must be a bot token starting with xoxb-',
  }),
  SLACK_APP_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xapp-'), {
    message: 'must be an app-level token starting with xapp-',
  }),
  SLACK_API_URL: url('http(s)'),
  SLACK_AUDIT_CHANNEL: optionalText,
  SLACK_ALERTS_CHANNEL: optionalText,
  PORT: optionalText
    .pipe(
      z
        .string()
        .regex(/^\d+$/, 'must be a whole number')
        .transform(Number)
        .pipe(z.number().int().max(65535, 'must be at most 65535'))
        .optional(),
    )
    .transform((v) => v ?? 3000),
  DATABASE_URL: optionalText.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: 'must be a postgres:// or postgresql:// URL',
  }),
  WARDEN_DATA_DIR: optionalText.default('./.warden'),
  WARDEN_WORLD_FILE: optionalText.default('./worlds/sandbox.yaml'),
  WARDEN_INSTANCE_ID: optionalText,
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: url('http(s)'),
  OPENAI_MODEL: optionalText.default('gpt-4o-mini'),
  /** How long one model request may take before it counts as a timeout (then retried, then the run fails). */
  OPENAI_TIMEOUT_MS: wholeNumber({
    min: 100,
    max: 600_000,
    fallback: 20_000,
    what: 'a whole number of milliseconds',
  }),
  /** Agent runs one instance works on at once; a run asked for beyond that is refused as busy, not queued. */
  WARDEN_MAX_RUNS: wholeNumber({ min: 1, max: 1_000, fallback: 20 }),
  /**
   * Where agent runs work: `thread` (a worker thread of their own, so they never delay Slack's acks; needs
   * DATABASE_URL) or `inline` (the thread that serves requests). Unset: `thread` on Postgres, else `inline`.
   */
  WARDEN_RUN_WORKER: optionalText.pipe(z.enum(['thread', 'inline']).optional()),
  /** The run worker thread's nice value once it is up (Linux): 19 yields the CPU to the acks first. */
  WARDEN_RUN_WORKER_NICE: wholeNumber({ min: 0, max: 19, fallback: 19 }),
  CHARTERS_DIR: optionalText.default('./charters'),
  WARDEN_CATALOG_DIR: optionalText.default('./catalog'),
  /** `warden mcp` (stdio): the MCP client's token, from `warden mcp token create`. */
  WARDEN_MCP_TOKEN: optionalText,
  /** The channel (ID) where each MCP session's thread and approval cards are posted. */
  WARDEN_MCP_CHANNEL: optionalText,
  /** Warden's address as people and clients reach it (behind a load balancer), e.g. https://warden.example.com. */
  WARDEN_PUBLIC_URL: url('http(s)'),
  /** Issuers (comma-separated URLs) whose OAuth tokens a deployment accepts in front of `/mcp`, for its metadata. */
  WARDEN_MCP_AUTHORIZATION_SERVERS: optionalText
    .refine(
      (v) =>
        v === undefined ||
        v.split(',').every((u) => /^https?:\/\/\S+$/.test(u.trim()) && URL.canParse(u.trim())),
      {
        message: 'must be a comma-separated list of http(s) URLs',
      },
    )
    .transform((v) => (v === undefined ? [] : v.split(',').map((u) => u.trim()))),
  /** The bearer token Alertmanager sends to `POST /webhooks/alertmanager`; absent: the route is off. */
  WARDEN_ALERTMANAGER_WEBHOOK_TOKEN: optionalText.refine((v) => v === undefined || v.length >= 16, {
    message: 'must be at least 16 characters (a random token, e.g. `openssl rand -hex 32`)',
  }),
  /** The agent whose run triages an incident an alert opened. */
  WARDEN_ALERT_AGENT: optionalText
    .pipe(
      z
        .string()
        .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be an agent name such as triage')
        .optional(),
    )
    .transform((v) => v ?? 'triage'),
  LOG_LEVEL: optionalText
    .pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional())
    .transform((v) => v ?? 'info'),
});

export type Env = z.infer<typeof envSchema>;
