import { plural } from '../../shared/plural.ts';
import { because, type Story, short } from './audit.story.parts.ts';

/** Sentences for the kill switch, circuit breakers, alerts and feedback. */
export const SAFETY_SENTENCES: Record<string, (s: Story) => [string, string]> = {
  'breaker.tripped': (s) => {
    const name = s.f.code(short(s.event.details.breaker ?? 'a breaker', 60));
    const until = typeof s.event.details.until === 'string' ? new Date(s.event.details.until) : null;
    const open =
      s.event.details.scope === 'run'
        ? ' It stops this run.'
        : until && !Number.isNaN(until.getTime())
          ? ` It stays open until ${s.f.date(until)} or until an owner resets it.`
          : ' It stays open until an owner resets it.';
    return [':zap:', `Circuit breaker ${name} tripped${because(s.text('reason', 300))}.${open}`];
  },
  'breaker.reset': (s) => {
    const name = s.event.details.breaker;
    const which = typeof name === 'string' ? `the ${s.f.code(short(name, 60))} breaker` : 'every breaker';
    return [':arrows_counterclockwise:', `${s.actor} reset ${which} of ${agentName(s)}.`];
  },
  'breaker.reset_refused': (s) => [
    ':no_entry_sign:',
    `${s.actor} may not reset the breakers of ${agentName(s)}: only its owners may.`,
  ],
  'kill.engaged': (s) => {
    const cancelled = arrayLength(s.event.details.cancelledProposals);
    const stopped = arrayLength(s.event.details.stoppedRuns);
    const tally = ` ${plural(cancelled, 'proposal')} cancelled, ${plural(stopped, 'run')} stopped.`;
    return [
      ':octagonal_sign:',
      `${s.actor} engaged the kill switch ${scopeOf(s)}${because(s.text('reason', 300))}.${tally}`,
    ];
  },
  'kill.released': (s) => [
    ':arrow_forward:',
    `${s.actor} released the kill switch ${scopeOf(s)}; work may go on.`,
  ],
  'kill.release_refused': (s) => [
    ':no_entry_sign:',
    `${s.actor} may not release the kill switch ${scopeOf(s)}: only an owner may.`,
  ],
  'feedback.recorded': (s) => {
    const verdict = s.event.details.verdict === 'agree' ? 'agreed' : 'disagreed';
    return [':speech_balloon:', `${s.actor} ${verdict} with the shadow ${s.action}.`];
  },
  'eval.case_kept': (s) => [
    ':floppy_disk:',
    `${s.actor} kept the decision on the ${s.action} as an eval case (${s.f.text(short(String(s.event.details.verdict ?? 'decided'), 20))}).`,
  ],
  'alert.received': (s) => [':rotating_light:', `${s.actor} sent ${alertTitle(s)}${alertCount(s)}.`],
  'alert.incident_opened': (s) => [
    ':rotating_light:',
    `Warden opened ${s.f.text(short(s.event.incidentId ?? 'an incident', 40))} for ${alertTitle(s)}.`,
  ],
  'alert.duplicate': (s) => [':repeat:', `${s.actor} sent ${alertTitle(s)} again${alertCount(s)}.`],
  'alert.run_skipped': (s) => [
    ':double_vertical_bar:',
    `No run started for ${alertTitle(s)}${because(s.f.text(short(s.event.reasonCode ?? 'skipped', 60)))}.`,
  ],
  'alert.resolved': (s) => [':large_green_circle:', `${s.actor} says ${alertTitle(s)} is resolved.`],
  'alert.ignored': (s) => [
    ':zzz:',
    `Warden ignored a notification about ${alertTitle(s)}${because(s.f.text(short(s.event.reasonCode ?? '', 60)))}.`,
  ],
  'alert.refused': (s) => [
    ':no_entry_sign:',
    `Warden refused a webhook call that did not prove it came from Alertmanager${because(s.f.text(short(s.event.reasonCode ?? '', 60)))}.`,
  ],
  'alert.raised': (s) => [':bell:', `Warden raised an alert${because(s.text('message', 400))}`],
};

function agentName(s: Story): string {
  return s.f.text(short(s.event.agent ?? 'the agent', 40));
}

function scopeOf(s: Story): string {
  const scope = s.event.details.scope;
  if (typeof scope === 'string' && scope.startsWith('agent:'))
    return `for ${s.f.text(short(scope.slice('agent:'.length), 40))}`;
  return 'for every agent';
}

function alertTitle(s: Story): string {
  const title = s.text('title', 120);
  const service = s.text('service', 40);
  return `${title ? `“${title}”` : 'an alert'}${service ? ` for ${service}` : ''}`;
}

function alertCount(s: Story): string {
  const count = s.num('alerts');
  return count === null ? '' : ` (${plural(count, 'alert')})`;
}

function arrayLength(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}
