import { describe, expect, it } from 'vitest';
import {
  BUSY_CLICK_TEXT,
  BUSY_COMMAND_TEXT,
  BUSY_VIEW_TEXT,
  busyAnswer,
} from '../../../src/slack/admission-answer.ts';
import { routeSlackRequest } from '../../../src/slack/request-route.ts';

const FORM = 'application/x-www-form-urlencoded';

/** The dispatch route of a request, as the receiver has it when the gate refuses it. */
function dispatched(contentType: string, rawBody: string) {
  const route = routeSlackRequest({ contentType, rawBody });
  if (route.kind !== 'dispatch') throw new Error(`expected a dispatched request, got ${route.kind}`);
  return route;
}
const interaction = (payload: unknown) =>
  dispatched(FORM, new URLSearchParams({ payload: JSON.stringify(payload) }).toString());

describe('what a request refused as busy is answered', () => {
  it('a slash command: an ephemeral message in the response body that says nothing was started', () => {
    const route = dispatched(
      FORM,
      new URLSearchParams({
        command: '/agent',
        text: 'triage INC-1',
        user_id: 'U1',
        channel_id: 'C1',
        response_url: 'https://hooks.slack.com/commands/1',
      }).toString(),
    );
    expect(busyAnswer(route)).toEqual({ answer: { response_type: 'ephemeral', text: BUSY_COMMAND_TEXT } });
    expect(BUSY_COMMAND_TEXT).toMatch(/busy/);
    expect(BUSY_COMMAND_TEXT).toMatch(/nothing was done/);
  });

  it('a click: an empty ack, and an ephemeral notice to its response_url that leaves the card as it was', () => {
    const route = interaction({
      type: 'block_actions',
      user: { id: 'U1' },
      actions: [{ action_id: 'proposal.approve' }],
      response_url: 'https://hooks.slack.com/actions/1',
    });
    expect(busyAnswer(route)).toEqual({
      answer: undefined,
      notice: {
        responseUrl: 'https://hooks.slack.com/actions/1',
        message: { response_type: 'ephemeral', replace_original: false, text: BUSY_CLICK_TEXT },
      },
    });
  });

  it('a click without a response_url (a Home tab button): an empty ack only', () => {
    const route = interaction({
      type: 'block_actions',
      user: { id: 'U1' },
      actions: [{ action_id: 'breaker.reset' }],
    });
    expect(busyAnswer(route)).toEqual({ answer: undefined });
  });

  it('a modal submission: errors under its input, so the modal and what was typed stay', () => {
    const route = interaction({
      type: 'view_submission',
      user: { id: 'U1' },
      view: {
        callback_id: 'proposal.reject_reason',
        blocks: [{ type: 'section' }, { type: 'input', block_id: 'reason' }],
      },
    });
    expect(busyAnswer(route)).toEqual({
      answer: { response_action: 'errors', errors: { reason: BUSY_VIEW_TEXT } },
    });
  });

  it('app_home_opened: an empty 200 (the Home tab keeps what it showed)', () => {
    const route = dispatched(
      'application/json',
      JSON.stringify({ type: 'event_callback', event: { type: 'app_home_opened', user: 'U1', tab: 'home' } }),
    );
    expect(busyAnswer(route)).toEqual({ answer: undefined });
  });

  it('an event whose loss would matter is never refused', () => {
    const route = {
      kind: 'dispatch' as const,
      what: 'event message',
      body: { type: 'event_callback', event: { type: 'message' } },
    };
    expect(busyAnswer(route)).toBeUndefined();
  });
});
