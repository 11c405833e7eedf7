/**
 * Figure 3 — click Approve → executed in the sandbox → card updated. Warden runs in this process as
 * `src/main.ts` wires it (services, Bolt app, sync worker) against the Slack emulator. Each pending
 * proposal (restart_service in staging: one approval from sre-approvers) is made with guard.propose in a
 * run that has a Slack thread; once its card is posted, an approver clicks Approve through the emulator
 * (a signed block_actions) and the clock stops when the emulator sees the chat.update that shows it done.
 * Baseline: the same click on the same emulator into a bare Bolt app whose handler acks and calls chat.update.
 */
import { createServer, type Server } from 'node:http';
import * as bolt from '@slack/bolt';
import type { EmulatorChange, SlackEmulator } from '../src/dev/slack-emulator/index.ts';
import { getProposal } from '../src/proposals/proposals.repository.ts';
import { createBenchDatabase } from './lib/database.ts';
import { type FigureContext, runFigure } from './lib/figure.ts';
import { latencySummary, ratioOf, sleep } from './lib/stats.ts';
import {
  BOT_TOKEN,
  openBenchRun,
  people,
  SIGNING_SECRET,
  type SlackWarden,
  startEmulator,
  startSlackWarden,
} from './lib/warden.ts';

const FIGURE = '3. approval round trip';
const SAMPLES = Number(process.env.BENCH_APPROVAL_SAMPLES ?? 40);
const WARMUP = 3;
/** The triage charter's run budget is 30 tool calls; a new run (and thread) is opened well before. */
const PROPOSALS_PER_RUN = 20;
const approver = people.approvers[0];

/** Resolves with the `performance.now()` time of the first change that matches. */
function nextChange({
  emulator,
  match,
  timeoutMs = 10_000,
}: {
  emulator: SlackEmulator;
  match: (c: EmulatorChange) => boolean;
  timeoutMs?: number;
}) {
  return new Promise<number>((resolve, reject) => {
    const onChange = (change: EmulatorChange) => {
      if (!match(change)) return;
      clearTimeout(timer);
      emulator.events.off('change', onChange);
      resolve(performance.now());
    };
    const timer = setTimeout(() => {
      emulator.events.off('change', onChange);
      reject(new Error(`no matching change within ${timeoutMs} ms`));
    }, timeoutMs);
    emulator.events.on('change', onChange);
  });
}

function updatedCard({ ts, done }: { ts: string; done: boolean }) {
  return (c: EmulatorChange) =>
    c.kind === 'message_updated' && c.message.ts === ts && (!done || c.message.text.startsWith('Done'));
}

/** The bare Bolt baseline on its own HTTP server: ack, then chat.update of the clicked message. */
async function startBareBolt({ apiUrl }: { apiUrl: string }): Promise<{ server: Server; url: string }> {
  const receiver = new bolt.HTTPReceiver({
    signingSecret: SIGNING_SECRET,
    endpoints: '/slack/events',
    processBeforeResponse: false,
  });
  const app = new bolt.App({
    token: BOT_TOKEN,
    receiver,
    clientOptions: { slackApiUrl: apiUrl },
    tokenVerificationEnabled: false,
    botId: 'B0BARE',
    botUserId: 'U0BAREBOT',
  });
  app.action('proposal.approve', async ({ ack, body, client }) => {
    await ack();
    const container = (body as { container?: { channel_id?: string; message_ts?: string } }).container;
    await client.chat.update({
      channel: container!.channel_id!,
      ts: container!.message_ts!,
      text: 'Done: approved',
      blocks: [],
    });
  });
  const server = createServer(receiver.requestListener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

async function measureBaseline({
  emulator,
  apiUrl,
  warden,
  count,
}: {
  emulator: SlackEmulator;
  apiUrl: string;
  warden: SlackWarden;
  count: number;
}) {
  const bare = await startBareBolt({ apiUrl });
  emulator.setWardenUrl(bare.url);
  const samples: number[] = [];
  try {
    for (let i = 0; i < count + WARMUP; i += 1) {
      const posted = await warden.surface.client.chat.postMessage({
        channel: people.incidents,
        text: 'Approval needed (baseline)',
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: 'Approval needed (baseline)' } },
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                text: { type: 'plain_text', text: 'Approve' },
                action_id: 'proposal.approve',
                value: `prp_baseline${String(i).padStart(4, '0')}`,
              },
            ],
          },
        ],
      });
      const updated = nextChange({ emulator, match: updatedCard({ ts: posted.ts!, done: false }) });
      const start = performance.now();
      await emulator.clickButton({
        user: approver,
        channel: people.incidents,
        messageTs: posted.ts!,
        actionId: 'proposal.approve',
      });
      const end = await updated;
      if (i >= WARMUP) samples.push(end - start);
    }
  } finally {
    await new Promise((resolve) => bare.server.close(resolve));
  }
  return latencySummary(samples);
}

async function openRun({ warden }: { warden: SlackWarden }): Promise<string> {
  const run = await openBenchRun({
    services: warden.services,
    client: warden.surface.client,
    incidentId: 'INC-124',
  });
  return run.id;
}

/** A pending proposal whose card is posted and whose thread is quiet, so a click is one round trip. */
async function pendingCard({ warden, runId }: { warden: SlackWarden; runId: string }) {
  const { services, surface } = warden;
  const outcome = await services.guard.propose({
    agent: 'triage',
    tool: 'restart_service',
    args: { service: 'search' },
    environment: 'staging',
    requester: people.oncall,
    runId,
    incidentId: 'INC-124',
    source: 'planner',
  });
  if (outcome.decision.decision !== 'needs_approval')
    throw new Error(`expected needs_approval, got ${outcome.decision.reasonCode}`);
  for (let attempt = 0; attempt < 200; attempt += 1) {
    await surface.sync.kick();
    const proposal = await getProposal({ db: services.db, id: outcome.proposal.id });
    if (proposal?.slackTs && proposal.slackTs !== 'posting') {
      await surface.sync.kick();
      return { proposalId: proposal.id, ts: proposal.slackTs };
    }
    await sleep(10);
  }
  throw new Error('the approval card was never posted');
}

async function measureWarden({
  emulator,
  warden,
  count,
}: {
  emulator: SlackEmulator;
  warden: SlackWarden;
  count: number;
}) {
  emulator.setWardenUrl(warden.url);
  const roundTrips: number[] = [];
  const executed: number[] = [];
  let runId = '';
  for (let i = 0; i < count + WARMUP; i += 1) {
    if (i % PROPOSALS_PER_RUN === 0) runId = await openRun({ warden });
    const card = await pendingCard({ warden, runId });
    const updated = nextChange({ emulator, match: updatedCard({ ts: card.ts, done: true }) });
    const wallStart = Date.now();
    const start = performance.now();
    await emulator.clickButton({
      user: approver,
      channel: people.incidents,
      messageTs: card.ts,
      actionId: 'proposal.approve',
      value: card.proposalId,
    });
    const end = await updated;
    const proposal = await getProposal({ db: warden.services.db, id: card.proposalId });
    if (proposal?.state !== 'succeeded') throw new Error(`proposal ${card.proposalId} is ${proposal?.state}`);
    if (i >= WARMUP) {
      roundTrips.push(end - start);
      executed.push(proposal.finishedAt!.getTime() - wallStart);
    }
  }
  return { roundTrip: latencySummary(roundTrips), executed: latencySummary(executed) };
}

async function main({ report, log, remainingMs }: FigureContext): Promise<void> {
  const bench = await createBenchDatabase({ label: 'approval' });
  await bench.migrate();
  const { emulator, apiUrl } = await startEmulator();
  const warden = await startSlackWarden({ database: bench.connect({ max: 10 }), emulator, apiUrl });
  try {
    const baseline = await measureBaseline({ emulator, apiUrl, warden, count: SAMPLES });
    log(
      `bare Bolt click → chat.update: p50 ${baseline.p50.toFixed(1)} ms, p99 ${baseline.p99.toFixed(1)} ms`,
    );
    const count = remainingMs() < 30_000 ? Math.max(10, Math.floor(SAMPLES / 2)) : SAMPLES;
    const ours = await measureWarden({ emulator, warden, count });
    log(
      `Warden click → executed → card updated: p50 ${ours.roundTrip.p50.toFixed(1)} ms, p99 ${ours.roundTrip.p99.toFixed(1)} ms`,
    );
    const row = { unit: 'ms' as const, baselineLabel: 'bare Bolt ack + chat.update' };
    report({
      ...row,
      metric: 'click → executed → card updated, p50',
      ours: ours.roundTrip.p50,
      baseline: baseline.p50,
      ratio: ratioOf({ ours: ours.roundTrip.p50, baseline: baseline.p50 }),
      target: '—',
      pass: null,
    });
    report({
      ...row,
      metric: 'click → executed → card updated, p99',
      ours: ours.roundTrip.p99,
      baseline: baseline.p99,
      ratio: ratioOf({ ours: ours.roundTrip.p99, baseline: baseline.p99 }),
      target: '≤ 250 ms',
      pass: ours.roundTrip.p99 <= 250,
      note: `${ours.roundTrip.n} clicks; click → proposal finished (executed): p50 ${ours.executed.p50} ms, p99 ${ours.executed.p99} ms`,
    });
  } finally {
    await warden.stop();
    await emulator.stop();
    await bench.drop();
  }
}

await runFigure({ figure: FIGURE, budgetMs: 60_000, main });
