import { describe, expect, it } from 'vitest';
import { isSslCheck, routeSlackRequest } from '../../../src/slack/request-route.ts';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const user = { id: 'U0ONCALL01' };
const interaction = (payload: unknown) => ({
  contentType: FORM,
  rawBody: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
});
const command = (fields: Record<string, string>) => ({
  contentType: FORM,
  rawBody: new URLSearchParams(fields).toString(),
});
const commandFields = {
  command: '/agent',
  text: 'status',
  user_id: 'U0ONCALL01',
  channel_id: 'C0INCIDENTS',
  response_url: 'https://hooks.slack.com/commands/1',
};
const event = (body: unknown) => ({ contentType: JSON_TYPE, rawBody: JSON.stringify(body) });

describe('routeSlackRequest', () => {
  it('dispatches only what a Warden listener handles', () => {
    const routes = [
      routeSlackRequest(command(commandFields)),
      routeSlackRequest(
        interaction({
          type: 'block_actions',
          user,
          actions: [{ action_id: 'proposal.approve', value: 'prp_a' }],
        }),
      ),
      routeSlackRequest(
        interaction({ type: 'view_submission', user, view: { callback_id: 'proposal.reject_reason' } }),
      ),
      routeSlackRequest(
        event({ type: 'event_callback', event: { type: 'app_home_opened', user: 'U1', tab: 'home' } }),
      ),
    ];
    expect(routes.map((r) => [r.kind, r.what])).toEqual([
      ['dispatch', 'command /agent'],
      ['dispatch', 'block_actions proposal.approve'],
      ['dispatch', 'view_submission proposal.reject_reason'],
      ['dispatch', 'event app_home_opened'],
    ]);
  });

  it('hands Bolt the body as Slack sent it, unknown fields included', () => {
    const route = routeSlackRequest(command({ ...commandFields, team_id: 'T1', api_app_id: 'A1' }));
    expect(route).toMatchObject({
      kind: 'dispatch',
      body: { ...commandFields, team_id: 'T1', api_app_id: 'A1' },
    });
  });

  it('answers well-formed requests nobody handles, block_suggestion with no options', () => {
    const routes = [
      routeSlackRequest(interaction({ type: 'block_actions', user, actions: [{ action_id: 'old.button' }] })),
      routeSlackRequest(interaction({ type: 'view_closed', user, view: { callback_id: 'x' } })),
      routeSlackRequest(interaction({ type: 'block_suggestion', user, action_id: 'pick' })),
      routeSlackRequest(interaction({ type: 'shortcut', user, callback_id: 'x' })),
      routeSlackRequest(interaction({ type: 'message_action', user, callback_id: 'x' })),
      routeSlackRequest(interaction({ type: 'view_submission', user, view: { callback_id: 'old.modal' } })),
      routeSlackRequest(event({ type: 'event_callback', event: { type: 'reaction_added' } })),
      routeSlackRequest(event({ type: 'app_rate_limited' })),
      routeSlackRequest(command({ ...commandFields, command: '/other' })),
    ];
    expect(routes.every((r) => r.kind === 'unhandled')).toBe(true);
    expect(routes[2]).toMatchObject({ answer: { options: [] } });
    expect(routes[8]).toMatchObject({ answer: { response_type: 'ephemeral' } });
  });

  it('answers url_verification with its challenge', () => {
    expect(routeSlackRequest(event({ type: 'url_verification', challenge: 'c1' }))).toEqual({
      kind: 'protocol',
      what: 'url_verification',
      answer: { challenge: 'c1' },
    });
  });

  it('finds malformed bodies unreadable, with where but not what', () => {
    const secret = 'xoxb-not-for-logs';
    const cases = [
      { contentType: FORM, rawBody: 'payload=null' },
      { contentType: FORM, rawBody: 'payload=42' },
      { contentType: FORM, rawBody: 'payload=%22x%22' },
      { contentType: FORM, rawBody: 'payload=%5B%5D' },
      { contentType: FORM, rawBody: `payload={${secret}` },
      { contentType: FORM, rawBody: '' },
      { contentType: JSON_TYPE, rawBody: '' },
      { contentType: JSON_TYPE, rawBody: 'null' },
      { contentType: FORM, rawBody: 'payload=%7B%7D&payload=%7B%7D' },
      interaction({ type: 'block_actions', actions: [{ action_id: 'proposal.approve', value: secret }] }),
      interaction({ type: 'block_actions', user, actions: [] }),
      interaction({
        type: 'block_actions',
        user,
        actions: [{ action_id: 'proposal.approve' }],
        channel: null,
      }),
      interaction({
        type: 'block_actions',
        user,
        actions: [{ action_id: 'proposal.approve' }],
        command: '/agent',
      }),
      interaction({ type: 'view_submission', user }),
      event({ type: 'event_callback' }),
      event({ type: 'event_callback', event: { type: 'app_home_opened', user: 'U1', channel: null } }),
      event({ type: 'url_verification' }),
      command({ ...commandFields, user_id: '' }),
      command({ ...commandFields, event: 'x' }),
    ];
    for (const input of cases) {
      const route = routeSlackRequest(input);
      expect([route.kind, input.rawBody]).toEqual(['unreadable', input.rawBody]);
      expect(JSON.stringify(route)).not.toContain(secret);
    }
  });

  it('answers a slash command it cannot read with a polite ephemeral text', () => {
    const { user_id: _dropped, ...noUser } = commandFields;
    expect(routeSlackRequest(command(noUser))).toMatchObject({
      kind: 'unreadable',
      answer: {
        response_type: 'ephemeral',
        text: expect.stringContaining('Warden could not read this request'),
      },
      issues: [{ path: 'user_id', code: 'invalid_type' }],
    });
  });

  it('reads the media type whatever its parameters and case', () => {
    const body = new URLSearchParams(commandFields).toString();
    expect(
      routeSlackRequest({ contentType: 'Application/X-WWW-Form-Urlencoded; charset=utf-8', rawBody: body })
        .kind,
    ).toBe('dispatch');
  });
});

describe('isSslCheck', () => {
  it('is a form body with ssl_check=1 only', () => {
    expect(isSslCheck({ contentType: FORM, rawBody: 'ssl_check=1&token=x' })).toBe(true);
    expect(isSslCheck({ contentType: JSON_TYPE, rawBody: 'ssl_check=1' })).toBe(false);
    expect(isSslCheck({ contentType: FORM, rawBody: 'ssl_check=0' })).toBe(false);
  });
});
