import type { HomeView, KnownBlock } from '@slack/types';
import type { KillSwitchRow } from '../../breakers/kill-switch.repository.ts';
import {
  type BreakerFigure,
  breakersHeadline,
  timeToDecideText,
  toolCallsText,
} from '../../observability/figures.definitions.ts';
import type { AgentFigures } from '../../observability/figures.ts';
import { BREAKER_ACTIONS, breakerButtonValue, readBreakerButton } from './actions.ids.ts';
import {
  actions,
  button,
  context,
  divider,
  fields,
  header,
  lines,
  type SlackMessage,
  section,
} from './elements.ts';
import { SLACK_LIMITS } from './limits.ts';
import { fitMrkdwn, inlineCode, slackDate } from './mrkdwn.ts';

/** Agents listed in full; more would crowd the message (each takes two blocks). */
const MAX_AGENTS = 15;

type AlertView = { seq: number; at: Date; agent: string | null; details: Record<string, unknown> };
type KillView = Pick<KillSwitchRow, 'scope' | 'engaged'>;
/** A breaker as `readBreakerFigures` gives it. */
type BreakerView = Pick<BreakerFigure, 'agent' | 'breaker' | 'state' | 'keysNotClosed' | 'coolDownUntil'>;

/** Open breakers listed with a Reset button each; the rest are counted. */
const MAX_RESETTABLE = 5;

/** The two columns of one agent's figures, in words (the definitions are in `figures.definitions.ts`). */
function agentFields(f: AgentFigures): string[] {
  const outcomes = Object.entries(f.runs.byOutcome)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([outcome, n]) => `${n} ${outcome.replace(/_/g, ' ')}`)
    .join(', ');
  const n = (value: number) => value.toLocaleString('en-US');
  const calls = f.toolCalls;
  const a = f.approvals;
  return [
    `*Runs*\n${n(f.runs.started)} started${outcomes ? ` · ${outcomes}` : ''}`,
    `*Tool calls*\n${toolCallsText(calls)} (${n(calls.succeeded)} succeeded · ${n(calls.failed)} failed · ${n(calls.outcomeUnknown)} unknown)`,
    `*Decisions*\n${n(f.decisions.allow)} allowed · ${n(f.decisions.needsApproval)} asked for approval · ${n(f.decisions.deny)} blocked`,
    `*Proposals decided by people*\n${n(a.approved)} approved · ${n(a.rejected)} rejected · ${n(a.expired)} expired\n_${n(a.clicks.approve)} Approve and ${n(a.clicks.reject)} Reject clicks_`,
    `*Time to first decision*\n${timeToDecideText(f.timeToDecide)}`,
    `*Breaker trips · alerts*\n${n(f.breakerTrips)} · ${n(f.alerts)}`,
    `*Model tokens*\n${n(f.tokens)}`,
  ];
}

/** Per-agent figures for the last 24 hours: a title and one block of fields per agent. */
export function agentFiguresBlocks({ figures }: { figures: readonly AgentFigures[] }): KnownBlock[] {
  if (figures.length === 0) return [section('*Last 24 hours:* no agents are loaded.')];
  const shown = figures.slice(0, MAX_AGENTS);
  const blocks: KnownBlock[] = [section('*Last 24 hours, per agent*')];
  for (const f of shown) {
    blocks.push(context([`Agent ${inlineCode(f.agent, 60)}`]), fields(agentFields(f)));
  }
  if (figures.length > shown.length)
    blocks.push(context([`…and ${figures.length - shown.length} more agents`]));
  return blocks;
}

/** `/agent status` with the per-agent figures added above its closing line. */
export function statusWithFigures({
  status,
  figures,
}: {
  status: SlackMessage;
  figures: readonly AgentFigures[];
}): SlackMessage {
  const closing = status.blocks.at(-1);
  const body = closing?.type === 'context' ? status.blocks.slice(0, -1) : status.blocks;
  const blocks = [
    ...body,
    divider(),
    ...agentFiguresBlocks({ figures }),
    ...(closing?.type === 'context' ? [closing] : []),
  ];
  return { text: status.text, blocks: blocks.slice(0, SLACK_LIMITS.messageBlocks) };
}

/** The App Home tab: kill switch, the latest alerts and the same per-agent figures as `/agent status`. */
export function homeView({
  figures,
  killSwitches,
  recentAlerts,
  breakers = [],
  now,
}: {
  figures: readonly AgentFigures[];
  killSwitches: readonly KillView[];
  recentAlerts: readonly AlertView[];
  /** Every breaker (`readBreakerFigures`); those not closed get a Reset button (only an owner's click resets). */
  breakers?: readonly BreakerView[];
  now: Date;
}): HomeView {
  const engaged = killSwitches.filter((k) => k.engaged);
  const kill =
    engaged.length === 0
      ? ':white_check_mark: *Kill switch:* not engaged.'
      : `:octagonal_sign: *Kill switch engaged:* ${engaged.map((k) => inlineCode(k.scope, 60)).join(', ')}`;
  const alerts =
    recentAlerts.length === 0
      ? '*Alerts (24 h):* none.'
      : lines(
          `*Latest alerts (24 h)*`,
          ...recentAlerts.map((a) => {
            const rule = typeof a.details.rule === 'string' ? a.details.rule : 'alert';
            const message = typeof a.details.message === 'string' ? a.details.message : '';
            return `• ${inlineCode(rule, 40)} ${inlineCode(a.agent ?? '?', 60)} ${slackDate(a.at)}: ${fitMrkdwn({ text: message, max: 300 })}`;
          }),
        );
  const blocks: KnownBlock[] = [
    header('Warden'),
    section(kill),
    ...breakerBlocks({ breakers, now }),
    section(alerts),
    divider(),
    ...agentFiguresBlocks({ figures }),
    context([
      `As of ${slackDate(now)} · \`/agent status\` shows the same figures · \`/agent help\` lists commands`,
    ]),
  ];
  return { type: 'home', blocks: blocks.slice(0, SLACK_LIMITS.modalBlocks) };
}

/** The open breakers, each with *Reset* (the same use case as `/agent reset`, owners only). */
function breakerBlocks({ breakers, now }: { breakers: readonly BreakerView[]; now: Date }): KnownBlock[] {
  const openBreakers = breakers.filter((b) => b.state !== 'closed');
  if (openBreakers.length === 0) return [section(breakersTitle(breakers))];
  const blocks: KnownBlock[] = [section(breakersTitle(breakers))];
  // One Reset per breaker: its rows (keys) close together.
  const seen = new Set<string>();
  for (const b of openBreakers) {
    const value = breakerButtonValue({ agent: b.agent, breaker: b.breaker });
    if (seen.has(value) || !readBreakerButton(value)) continue;
    seen.add(value);
    if (seen.size > MAX_RESETTABLE) break;
    const until = b.coolDownUntil && b.coolDownUntil > now ? ` until ${slackDate(b.coolDownUntil)}` : '';
    blocks.push(
      section(
        `${inlineCode(b.agent, 60)} · ${inlineCode(b.breaker, 60)}${keysText(b.keysNotClosed)} is ${b.state.replace('_', '-')}${until}`,
      ),
      actions({
        blockId: `home-breaker:${value}`,
        elements: [
          button({
            text: 'Reset',
            actionId: BREAKER_ACTIONS.reset,
            value,
            confirm: {
              title: 'Reset this breaker?',
              text: `${b.agent} may act again at once. Only an owner of ${b.agent} can reset it.`,
              confirm: 'Reset',
              deny: 'Cancel',
            },
          }),
        ],
      }),
    );
  }
  return blocks;
}

/** ` for `create_ticket@production``: the keys a breaker is not closed for; nothing for the agent-wide key. */
export function keysText(keys: readonly string[]): string {
  const named = keys.filter((k) => k !== '*');
  if (named.length === 0) return '';
  const shown = named.slice(0, 3).map((k) => inlineCode(k, 80));
  const more = named.length - shown.length;
  return ` for ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** The breakers' heading in status and the App Home: `all 4 closed.`, or `not closed (1) of 4`. */
export function breakersTitle(breakers: readonly Pick<BreakerFigure, 'state'>[]): string {
  const notClosed = breakers.filter((b) => b.state !== 'closed').length;
  if (notClosed === 0) return `:white_check_mark: *Circuit breakers:* ${breakersHeadline(breakers)}.`;
  return `:rotating_light: *Circuit breakers not closed (${notClosed})* of ${breakers.length}`;
}
