// Slack's date formatting (`<!date^seconds^{date_short_pretty} {time}|fallback>`), in the reader's own time
// zone: the console shows every time, in messages and in `<!date>` tokens, the way Slack would show it.

const DAY_MS = 86_400_000;

/** The calendar and clock fields of `date` in `timeZone` (the browser's own when undefined). */
function fieldsOf(date, timeZone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    weekday: 'long',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h12',
  }).formatToParts(date);
  const get = (type) => parts.find((p) => p.type === type)?.value ?? '';
  const numeric = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(date);
  return {
    year: get('year'),
    month: get('month'),
    day: Number(get('day')),
    weekday: get('weekday'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
    period: get('dayPeriod').toUpperCase(),
    numeric,
  };
}

function ordinal(day) {
  const tens = day % 100;
  if (tens >= 11 && tens <= 13) return `${day}th`;
  return `${day}${{ 1: 'st', 2: 'nd', 3: 'rd' }[day % 10] ?? 'th'}`;
}

/** 'Today', 'Yesterday' or 'Tomorrow' when `date` falls on one of them in the time zone, else null. */
function prettyDay(f, now, timeZone) {
  const names = [
    [0, 'Today'],
    [-1, 'Yesterday'],
    [1, 'Tomorrow'],
  ];
  for (const [offset, name] of names) {
    if (fieldsOf(new Date(now.getTime() + offset * DAY_MS), timeZone).numeric === f.numeric) return name;
  }
  return null;
}

function ago(date, now) {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  const future = seconds < 0;
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60
      ? [abs, 'second']
      : abs < 3600
        ? [Math.floor(abs / 60), 'minute']
        : abs < 86_400
          ? [Math.floor(abs / 3600), 'hour']
          : [Math.floor(abs / 86_400), 'day'];
  if (abs < 60) return future ? 'in a few seconds' : 'a few seconds ago';
  const amount = `${value} ${unit}${value === 1 ? '' : 's'}`;
  return future ? `in ${amount}` : `${amount} ago`;
}

/**
 * Formats `date` with Slack's tokens ({date_num}, {date}, {date_short}, {date_long}, the `_pretty` forms,
 * {time}, {time_secs}, {ago}) in `timeZone`, the browser's own by default. Like Slack, a short date leaves
 * out the year of the current year ('Dec 5'), and pretty dates say 'Today', 'Yesterday' or 'Tomorrow'.
 */
export function formatSlackDate(date, format, { now = new Date(), timeZone } = {}) {
  if (Number.isNaN(date.getTime())) return null;
  const f = fieldsOf(date, timeZone);
  const thisYear = fieldsOf(now, timeZone).year === f.year;
  const short = `${f.month.slice(0, 3)} ${f.day}${thisYear ? '' : `, ${f.year}`}`;
  const long = `${f.month} ${ordinal(f.day)}, ${f.year}`;
  const pretty = () => prettyDay(f, now, timeZone);
  const tokens = {
    date_num: () => f.numeric,
    date: () => long,
    date_short: () => short,
    date_long: () => `${f.weekday}, ${long}`,
    date_pretty: () => pretty() ?? long,
    date_short_pretty: () => pretty() ?? short,
    date_long_pretty: () => pretty() ?? `${f.weekday}, ${long}`,
    time: () => `${f.hour}:${f.minute} ${f.period}`,
    time_secs: () => `${f.hour}:${f.minute}:${f.second} ${f.period}`,
    ago: () => ago(date, now),
  };
  return format.replace(/\{(\w+)\}/g, (whole, name) => (tokens[name] ? tokens[name]() : whole));
}

/**
 * Replaces the server's fallback text of every `<time data-format>` under `root` with the time as Slack
 * shows it to this reader; message times in the gutter of a grouped message drop AM/PM, as Slack's do.
 */
export function localTimes(root, { now = new Date() } = {}) {
  for (const node of root.querySelectorAll('time[data-format]')) {
    const date = new Date(node.getAttribute('datetime'));
    const text = formatSlackDate(date, node.dataset.format, { now });
    if (text === null) continue;
    node.textContent = node.closest('.gutter') ? text.replace(/\s?[AP]M$/, '') : text;
    node.title = formatSlackDate(date, '{date_long_pretty} at {time_secs}', { now });
  }
}
