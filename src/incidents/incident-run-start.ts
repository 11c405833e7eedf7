import { outsideDeadline } from '../db/deadline.ts';
import { killSwitchMessage } from '../policy/messages.ts';
import { isWardenError } from '../shared/errors.ts';
import { findAlertRun } from './alert-incidents.repository.ts';
import type { RunTriggerActor } from './alert-incidents.ts';
import type { AlertIntakeDeps } from './alert-intake.types.ts';

/** Refusals for good: no redelivery tries again (people can `/agent triage`). A busy instance is not one. */
const REFUSED = /^(kill_switch|agents\.(?!busy))/;

/** What an opening message says of the run: started, or why not (one sentence for people). */
export type OpeningOutcome = { kind: 'triaging' } | { kind: 'not_started'; why: string };

/** The Slack side of an intake: posting (retried) and editing the opening message. */
export type OpeningSlack<Message> = {
  /** Posts the message in the channel and returns its ts; throws when Slack does not take it. */
  post: (input: { channel: string; message: Message }) => Promise<string>;
  update: (input: { channel: string; ts: string; message: Message }) => Promise<void>;
};

/**
 * An incident whose run start this request has claimed, as its source (an Alertmanager group, a PagerDuty
 * event) records it in its own table.
 */
export type ClaimedIncident<Message> = {
  incidentId: string;
  agent: string;
  environment: string;
  channel: string;
  /** The opening message an earlier attempt posted, if it did. */
  slackTs: string | null;
  /** The webhook's actor: the run's requester, and how a run an earlier attempt started is found. */
  requester: RunTriggerActor;
  message: (outcome: OpeningOutcome) => Message;
  /** Records the run (started or found) or the refusal for good; with nothing given, releases the claim. */
  settle: (result: { runId?: string; runSkipped?: string; slackTs?: string }) => Promise<void>;
  recordOpening: (slackTs: string) => Promise<void>;
  /** Audits that no run will start, with the reason code. */
  auditSkipped: (reason: string) => Promise<void>;
};

/**
 * Starts the run of a claimed incident, once across attempts and instances: a run an earlier attempt
 * started is found and recorded; the kill switch or a charter refusal is recorded for good and said in the
 * opening message; otherwise the opening message is posted (once) and the run hangs under it. A failure
 * half-way releases the claim (even past the request's deadline, so the redelivery need not wait for the
 * claim to expire) and throws, and the redelivery carries on where this one stopped.
 */
export async function startClaimedRun<Message>({
  deps,
  claimed,
}: {
  deps: Pick<AlertIntakeDeps, 'db' | 'killState' | 'startRun'> & { slack: OpeningSlack<Message> };
  claimed: ClaimedIncident<Message>;
}): Promise<{ runId: string | null; note: string | null }> {
  const { incidentId, agent, environment, channel } = claimed;
  let ts = claimed.slackTs;
  const skip = async (reason: string, why: string) => {
    const text = claimed.message({ kind: 'not_started', why });
    if (ts) await deps.slack.update({ channel, ts, message: text });
    else ts = await deps.slack.post({ channel, message: text });
    await claimed.settle({ runSkipped: reason, slackTs: ts });
    await claimed.auditSkipped(reason);
    return { runId: null, note: reason };
  };
  try {
    const found = await findAlertRun({ db: deps.db, incidentId, requester: claimed.requester });
    if (found) {
      await claimed.settle({ runId: found });
      return { runId: found, note: null };
    }
    const kill = await deps.killState({ agent });
    if (kill.engaged) return await skip('kill_switch', killSwitchMessage({ kill }));
    if (!ts) {
      ts = await deps.slack.post({ channel, message: claimed.message({ kind: 'triaging' }) });
      await claimed.recordOpening(ts);
    }
    let runId: string;
    try {
      ({ runId } = await deps.startRun({ agent, incidentId, environment, channel, threadTs: ts }));
    } catch (error) {
      if (isWardenError(error) && REFUSED.test(error.code)) return await skip(error.code, error.message);
      throw error;
    }
    await claimed.settle({ runId });
    return { runId, note: null };
  } catch (error) {
    await outsideDeadline(() => claimed.settle({})).catch(() => {});
    throw error;
  }
}
