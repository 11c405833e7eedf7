import { type AlertsSpec, alertsSchema, type Charter } from '../policy/charter.schemas.ts';

/** The charter's rules, and the one that is always on (`alerts.versions-rule.ts`). */
export type AlertRule = keyof AlertsSpec | 'versions_changed';

/** A behaviour alert worth raising: what was seen, against which threshold, in words for people. */
export type Alert = {
  rule: AlertRule;
  agent: string;
  environment: string | null;
  /** One alert per key per cool-down, across instances. */
  key: string;
  coolDownMs: number;
  figures: Record<string, number | string>;
  threshold: Record<string, number | string>;
  message: string;
};

/** The charter's alert thresholds, defaults filled in (a charter without `alerts:` gets every default). */
export function alertSettings({ charter }: { charter: Pick<Charter, 'alerts'> }): AlertsSpec {
  return charter.alerts ?? alertsSchema.parse({});
}

/** `90m` → `1h 30m`; whole days, hours, minutes or seconds as people write them. */
export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1_000, 's'],
  ];
  const parts: string[] = [];
  let left = ms;
  for (const [size, unit] of units) {
    if (left >= size) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
  }
  return parts.slice(0, 2).join(' ') || `${ms}ms`;
}

/**
 * An unusual approval rate within the window: many approvals and (almost) no rejections (people may be
 * approving without reading), or many rejections and few approvals (the agent may be drifting).
 */
export function checkApprovalRate({
  agent,
  spec,
  approvals,
  rejections,
}: {
  agent: string;
  spec: AlertsSpec['approval_rate'];
  approvals: number;
  rejections: number;
}): Alert | null {
  if (!spec.enabled) return null;
  const decided = approvals + rejections;
  const rate = decided === 0 ? 0 : approvals / decided;
  const window = formatDuration(spec.window);
  const seen = `${approvals} approvals and ${rejections} rejections of ${agent}'s proposals in ${window} (${percent(rate)} approved`;
  const alert = { rule: 'approval_rate' as const, agent, environment: null, coolDownMs: spec.window };
  const figures = { approvals, rejections, rate: round(rate), window };
  if (approvals >= spec.min_approvals && rate >= spec.min_rate) {
    return {
      ...alert,
      key: `approval_rate:${agent}`,
      figures,
      threshold: { min_approvals: spec.min_approvals, min_rate: spec.min_rate, window },
      message: `${seen}; alert at ${spec.min_approvals}+ approvals and ${percent(spec.min_rate)}+). People may be approving without reading.`,
    };
  }
  if (rejections >= spec.min_rejections && rate <= spec.max_rate) {
    return {
      ...alert,
      key: `approval_rate:${agent}:low`,
      figures,
      threshold: { min_rejections: spec.min_rejections, max_rate: spec.max_rate, window },
      message: `${seen}; alert at ${spec.min_rejections}+ rejections and ${percent(spec.max_rate)} or less). People keep turning its proposals down: the agent may be drifting.`,
    };
  }
  return null;
}

/** The same action (tool, arguments, environment) failing again and again within the window. */
export function checkRepeatedFailures({
  agent,
  spec,
  failures,
  tool,
  environment,
  actionHash,
}: {
  agent: string;
  spec: AlertsSpec['repeated_failures'];
  failures: number;
  tool: string;
  environment: string;
  actionHash: string;
}): Alert | null {
  if (!spec.enabled || failures < spec.threshold) return null;
  const window = formatDuration(spec.window);
  return {
    rule: 'repeated_failures',
    agent,
    environment,
    key: `repeated_failures:${agent}:${actionHash}`,
    coolDownMs: spec.window,
    figures: { failures, tool, window },
    threshold: { threshold: spec.threshold, window },
    message: `${agent}'s ${tool} in ${environment} failed ${failures} times in ${window} with the same arguments (alert at ${spec.threshold}). It is being retried without a change.`,
  };
}

/**
 * A write in an environment where the agent wrote nothing within the look-back, including the agent's first
 * write anywhere (its first production rollback is the case most worth a look). `priorWritesElsewhere` only
 * changes the words.
 */
export function checkNewEnvironment({
  agent,
  spec,
  environment,
  priorWritesHere,
  priorWritesElsewhere,
  tool,
}: {
  agent: string;
  spec: AlertsSpec['new_environment'];
  environment: string;
  priorWritesHere: number;
  priorWritesElsewhere: number;
  tool: string;
}): Alert | null {
  if (!spec.enabled || priorWritesHere > 0) return null;
  const lookback = formatDuration(spec.lookback);
  const elsewhere =
    priorWritesElsewhere > 0 ? 'it did write elsewhere' : 'nor anywhere else: its first write in that time';
  return {
    rule: 'new_environment',
    agent,
    environment,
    key: `new_environment:${agent}:${environment}`,
    coolDownMs: spec.lookback,
    figures: { prior_writes: priorWritesHere, tool, lookback },
    threshold: { lookback },
    message: `${agent} ran ${tool} in ${environment}, where it had run no write in the last ${lookback} (${elsewhere}). Check this is expected.`,
  };
}

export const offHoursKey = (agent: string) => `off_hours:${agent}`;

/** Writes outside working hours piling up within the window. */
export function checkOffHours({
  agent,
  spec,
  offHoursWrites,
}: {
  agent: string;
  spec: AlertsSpec['off_hours'];
  offHoursWrites: number;
}): Alert | null {
  if (!spec.enabled || offHoursWrites < spec.threshold) return null;
  const window = formatDuration(spec.window);
  const hours = spec.working_hours;
  const working = `${hours.days.join(', ')} ${hours.start}–${hours.end} ${hours.timezone}`;
  return {
    rule: 'off_hours',
    agent,
    environment: null,
    key: offHoursKey(agent),
    coolDownMs: spec.window,
    figures: { off_hours_writes: offHoursWrites, window },
    threshold: { threshold: spec.threshold, window, working_hours: working },
    message: `${agent} ran ${offHoursWrites} writes outside working hours (${working}) in ${window} (alert at ${spec.threshold}).`,
  };
}

/** The same action proposed again after it was rejected or expired, again and again. */
export function checkEscalationLoop({
  agent,
  spec,
  priorEndings,
  tool,
  environment,
  actionHash,
}: {
  agent: string;
  spec: AlertsSpec['escalation_loop'];
  priorEndings: number;
  tool: string;
  environment: string;
  actionHash: string;
}): Alert | null {
  if (!spec.enabled || priorEndings < spec.threshold) return null;
  const window = formatDuration(spec.window);
  return {
    rule: 'escalation_loop',
    agent,
    environment,
    key: `escalation_loop:${agent}:${actionHash}`,
    coolDownMs: spec.window,
    figures: { rejected_or_expired: priorEndings, tool, window },
    threshold: { threshold: spec.threshold, window },
    message: `${agent} proposed ${tool} in ${environment} again after it was rejected or expired ${priorEndings} times in ${window} (alert at ${spec.threshold}). It keeps asking instead of changing the plan.`,
  };
}

const WEEKDAY_BY_NAME: Record<string, string> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};

/** One formatter per time zone: making one costs far more than using it, and every audited write asks. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterIn(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

type WorkingHours = AlertsSpec['off_hours']['working_hours'];

/**
 * Answers already given, by working hours and minute: an off-hours check asks about every write of its
 * window (up to 1,000), and `formatToParts` costs microseconds each time. Every time zone has been offset from
 * UTC by whole minutes since 1972, so from then on one answer holds for a whole UTC minute.
 */
const answers = new Map<string, Map<number, boolean>>();
const MAX_ANSWERS = 10_000;
const WHOLE_MINUTE_OFFSETS_SINCE = Date.UTC(1972, 0, 1);

/** True when `at` falls inside the working hours (a day listed, start ≤ time < end; end before start spans midnight). */
export function isWorkingTime({ at, hours }: { at: Date; hours: WorkingHours }): boolean {
  const ms = at.getTime();
  if (!(ms >= WHOLE_MINUTE_OFFSETS_SINCE)) return workingAt(at, hours);
  const spec = `${hours.timezone} ${hours.days.join(',')} ${hours.start}-${hours.end}`;
  let known = answers.get(spec);
  if (!known) {
    if (answers.size >= 100) answers.clear();
    known = new Map();
    answers.set(spec, known);
  }
  const minute = Math.floor(ms / 60_000);
  const cached = known.get(minute);
  if (cached !== undefined) return cached;
  const answer = workingAt(at, hours);
  if (known.size >= MAX_ANSWERS) known.clear();
  known.set(minute, answer);
  return answer;
}

function workingAt(at: Date, hours: WorkingHours): boolean {
  const parts = formatterIn(hours.timezone).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = WEEKDAY_BY_NAME[part('weekday')] ?? '';
  const minute = Number(part('hour')) * 60 + Number(part('minute'));
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  if (!(hours.days as string[]).includes(day)) return false;
  if (start === end) return true;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

function minutesOf(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function percent(n: number): string {
  return `${Math.round(n * 100)}%`;
}
