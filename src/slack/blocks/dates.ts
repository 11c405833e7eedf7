import { slackDate } from './mrkdwn.ts';

// An ISO 8601 time with its zone (`Date#toISOString` writes `Z`; a planner may write `+02:00`).
const ISO_TEXT = String.raw`\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?(?:Z|[+-]\d\d:\d\d)(?![\w:])`;
// An ISO time, or what to leave alone: a `<…>` token (a slackDate's own ISO fallback is never wrapped
// twice) and inline code (Slack formats nothing there).
const TOKEN_OR_ISO = new RegExp(['`[^`\\n]*`', '<[^<>\\n]*>', ISO_TEXT].join('|'), 'g');
const ISO = new RegExp(ISO_TEXT, 'g');
/** How much longer a `<!date^…>` token is than the ISO text it replaces, at most. */
const DATE_GROWTH = 64;

/** The most characters `withSlackDates` can add to `text`. */
function slackDatesGrowth(text: string): number {
  return (text.match(ISO)?.length ?? 0) * DATE_GROWTH;
}

/**
 * Text cut to `max` by `render(room)` with its ISO times as Slack dates, still within `max`: when the
 * dates make it longer, it is cut again with room left for as many dates as the first cut held.
 */
export function fitWithSlackDates({
  max,
  render,
}: {
  max: number;
  render: (room: number) => string;
}): string {
  const first = render(max);
  const dated = withSlackDates(first);
  if (dated.length <= max) return dated;
  return withSlackDates(render(Math.max(0, max - slackDatesGrowth(first))));
}

/**
 * Plain text for mrkdwn with its ISO timestamps as Slack dates (`<!date^…>`), so each reader sees them in
 * their own time zone. Messages such as a breaker's "paused until …" or an expired approval window are
 * written once in ISO, the form the audit keeps, and pass through here on their way to Slack.
 */
export function withSlackDates(text: string): string {
  return text.replace(TOKEN_OR_ISO, (match) => {
    if (match.startsWith('<') || match.startsWith('`')) return match;
    const date = new Date(match);
    return Number.isNaN(date.getTime()) ? match : slackDate(date);
  });
}
