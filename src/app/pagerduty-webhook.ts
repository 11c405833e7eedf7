import type { ServerResponse } from 'node:http';
import type { WebClient } from '@slack/web-api';
import type { Runner } from '../agents/run/runner.ts';
import { readKillState } from '../breakers/kill-switch.repository.ts';
import { deadlineIn, withDeadline } from '../db/deadline.ts';
import {
  createPagerDutyIntake,
  PAGERDUTY_ACTOR,
  type PagerDutyOpening,
} from '../incidents/pagerduty-intake.ts';
import { verifyPagerDutySignature, withinWindow } from '../incidents/pagerduty-signature.ts';
import { parsePagerDutyEvent } from '../incidents/pagerduty-webhook.schemas.ts';
import { isWardenError } from '../shared/errors.ts';
import { readBody } from '../shared/http-body.ts';
import { fallbackText } from '../slack/blocks/mrkdwn.ts';
import { retrySlackCall } from '../slack/slack-retry.ts';
import type { PagerDutyWebhookSource } from '../systems/systems.ts';
import type { Handler } from './http.ts';
import type { Services } from './services.ts';

/** PagerDuty's v3 payloads are small; anything bigger is refused before its signature is computed. */
const BODY_LIMIT = 1024 * 1024;
const EVENT_DEADLINE_MS = 10_000;
/** Refusals are all logged, but audited at most once a second: a flood must not hold the chain. */
const REFUSAL_AUDIT_GAP_MS = 1_000;

type Refusal = 'missing_signature' | 'bad_signature' | 'outside_window';

/**
 * `POST /webhooks/pagerduty`: PagerDuty v3 webhooks, signed (`X-PagerDuty-Signature`, HMAC-SHA256 of the
 * body with any of the connection's webhook secrets) and within 300 s of their `occurred_at`. A wrong
 * signature or a stale (or future) event gets 401, changes nothing and is audited without its body.
 * `incident.triggered` starts the alert agent's run (see `createPagerDutyIntake`); 5xx asks for a redelivery.
 */
export function createPagerDutyWebhook({
  services,
  client,
  kick = async () => {},
  runner = services.runner,
  sources = services.systems.pagerdutyWebhooks(),
  agent = services.config.alertmanager.agent,
}: {
  services: Pick<
    Services,
    | 'db'
    | 'clock'
    | 'audit'
    | 'redactor'
    | 'logger'
    | 'charters'
    | 'catalog'
    | 'runner'
    | 'config'
    | 'systems'
  >;
  client: WebClient;
  kick?: () => Promise<void>;
  runner?: Pick<Runner, 'startFromAlert'>;
  /** The connections whose secrets may sign an event (default: every PagerDuty connection with some). */
  sources?: readonly PagerDutyWebhookSource[];
  /** The agent an incident starts (default: `WARDEN_ALERT_AGENT`). */
  agent?: string;
}): { handle: Handler } {
  const { db, audit, logger, clock } = services;
  const intake = createPagerDutyIntake({
    db,
    clock,
    audit,
    redactor: services.redactor,
    logger,
    charters: services.charters,
    services: () => services.catalog.services(),
    agent,
    killState: ({ agent: name }) => readKillState({ db, agent: name }),
    slack: pagerDutySlack({ client }),
    startRun: async (input) => {
      const { run } = await runner.startFromAlert({ ...input, source: PAGERDUTY_ACTOR });
      void kick().catch(() => {});
      return { runId: run.id };
    },
  });
  let lastRefusalAudit = Number.NEGATIVE_INFINITY;
  let unaudited = 0;

  async function refuse(res: ServerResponse, reason: Refusal): Promise<void> {
    logger.warn({ reason }, 'PagerDuty webhook refused');
    const now = performance.now();
    if (now - lastRefusalAudit < REFUSAL_AUDIT_GAP_MS) unaudited += 1;
    else {
      lastRefusalAudit = now;
      const suppressed = unaudited;
      unaudited = 0;
      // Without the body: whoever sent it is not known to be PagerDuty.
      await audit
        .appendNow(db, {
          actor: PAGERDUTY_ACTOR,
          action: 'pagerduty.refused',
          reasonCode: reason,
          details: { refusedSinceLast: suppressed },
        })
        .catch((error: unknown) => logger.error({ err: error }, 'could not audit a refused webhook'));
    }
    reply(res, 401, { ok: false, error: 'A valid, recent PagerDuty signature is required.' });
  }

  const handle: Handler = async (req, res) => {
    if (sources.length === 0)
      return reply(res, 404, {
        ok: false,
        error: 'The PagerDuty webhook is not configured: give a pagerduty connection webhook_secrets.',
      });
    const raw = await readBody(req, BODY_LIMIT);
    if (raw === 'too_large') return reply(res, 413, { ok: false, error: 'The body is larger than 1 MiB.' });
    const header = req.headers['x-pagerduty-signature'];
    const signed = verifyPagerDutySignature({
      body: raw,
      header: typeof header === 'string' ? header : undefined,
      candidates: sources,
    });
    if (!signed.ok) return refuse(res, signed.reason);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply(res, 400, { ok: false, error: 'The body is not JSON.' });
    }
    const parsed = parsePagerDutyEvent(body);
    if (!parsed.ok) return reply(res, 400, { ok: false, error: parsed.message });
    if (!withinWindow({ occurredAt: new Date(parsed.event.occurred_at), now: clock.now() }))
      return refuse(res, 'outside_window');
    try {
      const deadline = deadlineIn({ ms: EVENT_DEADLINE_MS, what: 'the PagerDuty event' });
      const { connection, incidentPrefix: prefix } = signed.matched;
      const result = await withDeadline(deadline, () =>
        intake.receive({ event: parsed.event, connection, prefix }),
      );
      return reply(res, result.outcome === 'ignored' ? 202 : 200, { ok: true, ...result });
    } catch (error) {
      if (isWardenError(error, 'incidents.run_starting'))
        return reply(res, 503, { ok: false, error: error.message });
      logger.error(
        { err: error },
        'could not handle a PagerDuty event; answered 503 so PagerDuty sends it again',
      );
      return reply(res, 503, {
        ok: false,
        error: 'Warden could not record this event (database or Slack unavailable); send it again.',
      });
    }
  };
  return { handle };
}

function pagerDutySlack({ client }: { client: WebClient }) {
  return {
    post: async ({ channel, message }: { channel: string; message: PagerDutyOpening }) => {
      const posted = await retrySlackCall({
        call: () => client.chat.postMessage({ channel, text: pagerDutyOpeningText(message) }),
      });
      if (!posted.ts) throw new Error('Slack accepted the opening message but gave no ts');
      return posted.ts;
    },
    update: async ({ channel, ts, message }: { channel: string; ts: string; message: PagerDutyOpening }) => {
      await retrySlackCall({
        call: () => client.chat.update({ channel, ts, text: pagerDutyOpeningText(message) }),
      });
    },
  };
}

/** `:pager: PagerDuty: *<title>* on *checkout* in *production* — *triage* is triaging *INC-1234*`. */
export function pagerDutyOpeningText(message: PagerDutyOpening): string {
  const head = `:pager: PagerDuty: *${fallbackText(message.title || message.incidentId, 80)}* on *${message.service}* in *${message.environment}*`;
  if (message.outcome.kind === 'triaging')
    return `${head} — *${message.agent}* is triaging *${message.incidentId}*`;
  const why = fallbackText(message.outcome.why, 300).replace(/\.$/, '');
  return `${head} — *${message.agent}* is not triaging *${message.incidentId}*: ${why}. Nothing ran; \`/agent triage ${message.incidentId}\` starts a run once that changes.`;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
