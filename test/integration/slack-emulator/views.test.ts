import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, refusal, startBoltApp, startEmulator } from './harness.ts';

type Started = Awaited<ReturnType<typeof startEmulator>>;

let s: Started;
let stopBolt: () => Promise<unknown>;
let triggers: string[];
let submissions: Record<string, any>[];
let viewAnswer: Record<string, unknown> | undefined;

const killModal = {
  type: 'modal' as const,
  callback_id: 'kill_reason',
  private_metadata: 'run_42',
  title: { type: 'plain_text' as const, text: 'Engage kill switch' },
  submit: { type: 'plain_text' as const, text: 'Engage' },
  blocks: [
    {
      type: 'input',
      block_id: 'reason',
      label: { type: 'plain_text', text: 'Why?' },
      element: { type: 'plain_text_input', action_id: 'text', multiline: true },
    },
    {
      type: 'input',
      block_id: 'ticket',
      optional: true,
      label: { type: 'plain_text', text: 'Ticket' },
      element: { type: 'plain_text_input', action_id: 'id' },
    },
  ],
};

beforeEach(async () => {
  s = await startEmulator();
  triggers = [];
  submissions = [];
  viewAnswer = undefined;
  const bolt = await startBoltApp({
    emulator: s.emulator,
    apiUrl: s.apiUrl,
    configure: (app) => {
      app.command('/agent', async ({ ack, command, client }) => {
        await ack();
        triggers.push(command.trigger_id);
        if (command.text === 'kill')
          await client.views.open({ trigger_id: command.trigger_id, view: killModal as never });
      });
      app.view('kill_reason', async ({ ack, body }) => {
        submissions.push(body as Record<string, any>);
        await ack(viewAnswer as never);
      });
    },
  });
  stopBolt = bolt.stop;
});
afterEach(async () => {
  await stopBolt();
  await s.emulator.stop();
});

async function openKillModal() {
  await s.emulator.sendCommand({ user: 'U0ONCALL01', channel: 'C0INCIDENT', text: 'kill' });
  await eventually(() => expect(s.emulator.views('U0ONCALL01')).toHaveLength(1));
  return s.emulator.views('U0ONCALL01')[0]!;
}

describe('trigger ids', () => {
  it('open a modal for the user whose command carried them', async () => {
    const open = await openKillModal();
    expect(open).toMatchObject({ user: 'U0ONCALL01', triggerId: triggers[0] });
    expect(open.id).toMatch(/^V0[A-Z0-9]{9}$/);
    expect(open.view).toMatchObject({
      id: open.id,
      type: 'modal',
      callback_id: 'kill_reason',
      private_metadata: 'run_42',
      team_id: 'T0WARDEN',
      app_id: 'A0WARDEN',
      root_view_id: open.id,
      state: { values: {} },
    });
  });

  it('expire 3 s after the payload that carried them was sent, by the emulator clock', async () => {
    await s.emulator.sendCommand({ user: 'U0ONCALL01', channel: 'C0INCIDENT', text: 'status' });
    await s.emulator.sendCommand({ user: 'U0ONCALL01', channel: 'C0INCIDENT', text: 'status' });
    await eventually(() => expect(triggers).toHaveLength(2));
    s.clock.advance(3_000);
    const inTime = await s.client.views.open({ trigger_id: triggers[0]!, view: killModal as never });
    expect(inTime.ok).toBe(true);
    s.clock.advance(1);
    expect(
      (await refusal(s.client.views.open({ trigger_id: triggers[1]!, view: killModal as never }))).error,
    ).toBe('expired_trigger_id');
    expect(s.emulator.views()).toHaveLength(1);
  });

  it('work once, and unknown ones count as expired', async () => {
    await s.emulator.sendCommand({ user: 'U0ONCALL01', channel: 'C0INCIDENT', text: 'status' });
    await eventually(() => expect(triggers).toHaveLength(1));
    await s.client.views.open({ trigger_id: triggers[0]!, view: killModal as never });
    expect(
      (await refusal(s.client.views.open({ trigger_id: triggers[0]!, view: killModal as never }))).error,
    ).toBe('exchanged_trigger_id');
    expect(
      (await refusal(s.client.views.open({ trigger_id: '1.2.abc', view: killModal as never }))).error,
    ).toBe('expired_trigger_id');
  });

  it('are not used up by an invalid view, which is refused with invalid_arguments', async () => {
    await s.emulator.sendCommand({ user: 'U0ONCALL01', channel: 'C0INCIDENT', text: 'status' });
    await eventually(() => expect(triggers).toHaveLength(1));
    const { submit: _submit, ...noSubmit } = killModal;
    const bad = {
      ...noSubmit,
      title: { type: 'plain_text', text: 'A title well over twenty-four characters' },
    };
    const data = await refusal(s.client.views.open({ trigger_id: triggers[0]!, view: bad as never }));
    expect(data.error).toBe('invalid_arguments');
    expect(data.errors).toEqual([
      'more than 24 characters [json-pointer:/view/title/text]',
      'required when the view has input blocks [json-pointer:/view/submit]',
    ]);
    expect((await s.client.views.open({ trigger_id: triggers[0]!, view: killModal as never })).ok).toBe(true);
  });
});

describe('view submissions', () => {
  it('send a view_submission with the typed values; an empty ack closes the modal', async () => {
    const open = await openKillModal();
    const result = await s.emulator.submitView({
      user: 'U0ONCALL01',
      values: { reason: { text: 'db on fire' } },
    });
    expect(result).toMatchObject({ status: 200, json: {}, viewOutcome: 'closed' });
    expect(submissions).toHaveLength(1);
    expect(submissions[0]).toMatchObject({
      type: 'view_submission',
      team: { id: 'T0WARDEN' },
      user: { id: 'U0ONCALL01', name: 'oncall.olivia' },
      api_app_id: 'A0WARDEN',
      view: { id: open.id, callback_id: 'kill_reason', private_metadata: 'run_42' },
    });
    expect(submissions[0]?.view.state.values).toEqual({
      reason: { text: { type: 'plain_text_input', value: 'db on fire' } },
      ticket: { id: { type: 'plain_text_input', value: null } },
    });
    expect(s.emulator.views('U0ONCALL01')).toEqual([]);
  });

  it('keep the modal open when the app answers response_action errors', async () => {
    await openKillModal();
    viewAnswer = { response_action: 'errors', errors: { reason: 'Say why' } };
    const result = await s.emulator.submitView({ user: 'U0ONCALL01', values: { reason: { text: '' } } });
    expect(result.json).toEqual({ response_action: 'errors', errors: { reason: 'Say why' } });
    expect(result.viewOutcome).toBe('kept_with_errors');
    expect(s.emulator.views('U0ONCALL01')).toHaveLength(1);
  });

  it('replace the modal when the app answers response_action update', async () => {
    const open = await openKillModal();
    viewAnswer = {
      response_action: 'update',
      view: {
        type: 'modal',
        title: { type: 'plain_text', text: 'Kill switch engaged' },
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Done.' } }],
      },
    };
    const result = await s.emulator.submitView({
      user: 'U0ONCALL01',
      values: { reason: { text: 'why not' } },
    });
    expect(result.viewOutcome).toBe('updated');
    const [updated] = s.emulator.views('U0ONCALL01');
    expect(updated?.id).toBe(open.id);
    expect(updated?.view.title).toEqual({ type: 'plain_text', text: 'Kill switch engaged' });
  });

  it('fail for a user without an open modal, or for inputs the modal does not have', async () => {
    await expect(s.emulator.submitView({ user: 'U0APPROVE1', values: {} })).rejects.toThrow(/no open modal/);
    await openKillModal();
    await expect(
      s.emulator.submitView({ user: 'U0ONCALL01', values: { reasons: { text: 'typo' } } }),
    ).rejects.toThrow('the modal has no input reasons.text; it has: reason.text, ticket.id');
    expect(submissions).toHaveLength(0);
  });
});

describe('views.update', () => {
  it('replaces an open modal by id, refusing a stale hash and unknown ids', async () => {
    const open = await openKillModal();
    const view = { ...killModal, title: { type: 'plain_text' as const, text: 'Still thinking' } };
    expect(
      (await refusal(s.client.views.update({ view_id: open.id, hash: 'stale', view: view as never }))).error,
    ).toBe('hash_conflict');
    const result = await s.client.views.update({
      view_id: open.id,
      hash: String(open.view.hash),
      view: view as never,
    });
    expect(result.view?.title?.text).toBe('Still thinking');
    expect((await refusal(s.client.views.update({ view_id: 'V0NOPE', view: view as never }))).error).toBe(
      'not_found',
    );
  });
});
