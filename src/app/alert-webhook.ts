import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebClient } from '@slack/web-api';
import type { Runner } from '../agents/run/runner.ts';
import { readKillState } from '../breakers/kill-switch.repository.ts';
import { deadlineIn, withDeadline } from '../db/deadline.ts';
import { ALERT_RUN_REQUESTER } from '../incidents/alert-incidents.ts';
import { type AlertSlack, createAlertIntake, type OpeningMessage } from '../incidents/alert-intake.ts';
import { parseAlertmanagerWebhook } from '../incidents/alertmanager-webhook.schemas.ts';
import { isWardenError } from '../shared/errors.ts';
import { readBody } from '../shared/http-body.ts';
import { fallbackText } from '../slack/blocks/mrkdwn.ts';
import { retrySlackCall } from '../slack/slack-retry.ts';
import type { Handler } from './http.ts';
import type { Services } from './services.ts';

/** The largest body accepted (Alertmanager's groups are far smaller; `max_alerts` bounds them). */
export const ALERT_WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** How long one notification may take to take effect (DESIGN §4.10); the run itself goes on after. */
const NOTIFICATION_DEADLINE_MS = 10_000;
/** Refused requests are all logged, but audited at most once a second: a flood must not hold the chain. */
const REFUSAL_AUDIT_GAP_MS = 1_000;

/**
 * `POST /webhooks/alertmanager`: authenticated with `Authorization: Bearer <WARDEN_ALERTMANAGER_WEBHOOK_TOKEN>`
 * (Alertmanager does not sign). A firing group opens an incident and starts the alert agent's run in the
 * service's owner channel; duplicates and resolutions start nothing. Answers 2xx once the effect is
 * recorded, 5xx when it could not be (Alertmanager then retries, and the retry carries on safely).
 */
export function createAlertWebhook({
  services,
  client,
  kick = async () => {},
  runner = services.runner,
  token,
  agent,
}: {
  services: Pick<
    Services,
    'db' | 'clock' | 'audit' | 'redactor' | 'logger' | 'charters' | 'catalog' | 'runner' | 'config'
  >;
  /** The Slack Web API client that posts the opening message. */
  client: WebClient;
  /** Kicks the sync worker, which fills the run's thread from Postgres. */
  kick?: () => Promise<void>;
  runner?: Pick<Runner, 'startFromAlert'>;
  /** The bearer token (default: `WARDEN_ALERTMANAGER_WEBHOOK_TOKEN`); null: the route is not configured. */
  token?: string | null;
  /** The agent an alert starts (default: `WARDEN_ALERT_AGENT`). */
  agent?: string;
}): { handle: Handler } {
  const { db, audit, logger } = services;
  const secret = token === undefined ? services.config.alertmanager.webhookToken : token;
  const alertAgent = agent ?? services.config.alertmanager.agent;
  const intake = createAlertIntake({
    db,
    clock: services.clock,
    audit,
    redactor: services.redactor,
    logger,
    charters: services.charters,
    services: () => services.catalog.services(),
    agent: alertAgent,
    killState: ({ agent: name }) => readKillState({ db, agent: name }),
    slack: alertSlack({ client }),
    startRun: async (input) => {
      const { run } = await runner.startFromAlert(input);
      void kick().catch(() => {});
      return { runId: run.id };
    },
  });
  const expected = secret === undefined || secret === null ? null : digest(secret);
  let lastRefusalAudit = Number.NEGATIVE_INFINITY;
  let unaudited = 0;

  /** 401, after the refusal is audited (at most one event per gap, counting those in between). */
  async function refuse(res: ServerResponse, reason: 'missing_token' | 'wrong_token'): Promise<void> {
    logger.warn({ reason }, 'Alertmanager webhook refused: bad bearer token');
    const now = performance.now();
    if (now - lastRefusalAudit < REFUSAL_AUDIT_GAP_MS) {
      unaudited += 1;
    } else {
      lastRefusalAudit = now;
      const suppressed = unaudited;
      unaudited = 0;
      // Without the body: whoever sent it is not known to be Alertmanager.
      await audit
        .appendNow(db, {
          actor: ALERT_RUN_REQUESTER,
          action: 'alert.refused',
          reasonCode: reason,
          details: { refusedSinceLast: suppressed },
        })
        .catch((error: unknown) => logger.error({ err: error }, 'could not audit a refused webhook'));
    }
    reply(res, 401, { ok: false, error: 'A valid bearer token is required.' });
  }

  const handle: Handler = async (req, res) => {
    if (expected === null) {
      return reply(res, 404, {
        ok: false,
        error: 'The Alertmanager webhook is not configured: set WARDEN_ALERTMANAGER_WEBHOOK_TOKEN.',
      });
    }
    const given = bearerOf(req);
    if (given === null) return refuse(res, 'missing_token');
    if (!timingSafeEqual(digest(given), expected)) return refuse(res, 'wrong_token');
    const raw = await readBody(req, ALERT_WEBHOOK_BODY_LIMIT);
    if (raw === 'too_large') return reply(res, 413, { ok: false, error: 'The body is larger than 1 MiB.' });
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply(res, 400, { ok: false, error: 'The body is not JSON.' });
    }
    const parsed = parseAlertmanagerWebhook(body);
    if (!parsed.ok) return reply(res, 400, { ok: false, error: parsed.message });
    try {
      const deadline = deadlineIn({ ms: NOTIFICATION_DEADLINE_MS, what: 'the Alertmanager notification' });
      const result = await withDeadline(deadline, () =>
        intake.receive({ notification: parsed.notification }),
      );
      return reply(res, result.outcome === 'ignored' ? 202 : 200, { ok: true, ...result });
    } catch (error) {
      if (isWardenError(error, 'incidents.run_starting')) {
        logger.info({ err: error }, 'Alertmanager notification answered 503: its run is being started');
        return reply(res, 503, { ok: false, error: error.message });
      }
      logger.error(
        { err: error },
        'could not handle an Alertmanager notification; answered 503 so Alertmanager sends it again',
      );
      return reply(res, 503, {
        ok: false,
        error: 'Warden could not record this notification (database or Slack unavailable); send it again.',
      });
    }
  };

  return { handle };
}

/** The opening message, posted with retries (Slack's passing trouble) and edited when no run starts. */
function alertSlack({ client }: { client: WebClient }): AlertSlack {
  return {
    post: async ({ channel, message }) => {
      const text = openingText(message);
      const posted = await retrySlackCall({ call: () => client.chat.postMessage({ channel, text }) });
      if (!posted.ts) throw new Error('Slack accepted the opening message but gave no ts');
      return posted.ts;
    },
    update: async ({ channel, ts, message }) => {
      const text = openingText(message);
      await retrySlackCall({ call: () => client.chat.update({ channel, ts, text }) });
    },
  };
}

/** `:rotating_light: Alertmanager: <alert> on <service> in <env> (<n> alerts) — triage is triaging ALERT-7`. */
export function openingText(message: OpeningMessage): string {
  const alerts = `${message.alertCount} alert${message.alertCount === 1 ? '' : 's'}`;
  const head = `:rotating_light: Alertmanager: *${fallbackText(message.alertName, 80)}* on *${message.service}* in *${message.environment}* (${alerts})`;
  if (message.outcome.kind === 'triaging')
    return `${head} — *${message.agent}* is triaging *${message.incidentId}*`;
  const why = fallbackText(message.outcome.why, 300).replace(/\.$/, '');
  return `${head} — *${message.agent}* is not triaging *${message.incidentId}*: ${why}. Nothing ran; \`/agent triage ${message.incidentId}\` starts a run once that changes.`;
}

function bearerOf(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
  return match?.[1] ?? null;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
