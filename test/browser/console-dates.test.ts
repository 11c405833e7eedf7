import { describe, expect, it } from 'vitest';
import { formatSlackDate } from '../../src/dev/console/assets/dates.js';

// The console's page script formats `<!date>` tokens and message times as Slack does, in the reader's
// time zone; here with fixed time zones and a fixed "now".
const now = new Date('2026-03-10T15:00:00Z');
const format = (iso: string, pattern: string, timeZone: string) =>
  formatSlackDate(new Date(iso), pattern, { now, timeZone });

describe('Slack date formatting in the console', () => {
  it('says Today, Yesterday or Tomorrow in the reader’s time zone, with a 12-hour time', () => {
    const pattern = '{date_short_pretty} {time}';
    expect(format('2026-03-10T14:14:00Z', pattern, 'America/New_York')).toBe('Today 10:14 AM');
    expect(format('2026-03-10T14:14:00Z', pattern, 'UTC')).toBe('Today 2:14 PM');
    // Already the 11th in Tokyo, where "now" is the 11th too.
    expect(format('2026-03-10T16:05:00Z', pattern, 'Asia/Tokyo')).toBe('Today 1:05 AM');
    // 01:00 UTC on the 10th is still the 9th in New York: yesterday there, today in UTC.
    expect(format('2026-03-10T01:00:00Z', pattern, 'America/New_York')).toBe('Yesterday 9:00 PM');
    expect(format('2026-03-10T01:00:00Z', pattern, 'UTC')).toBe('Today 1:00 AM');
    expect(format('2026-03-11T12:00:00Z', pattern, 'UTC')).toBe('Tomorrow 12:00 PM');
  });

  it('shows other days as a short date, with the year only when it is not this year', () => {
    const pattern = '{date_short_pretty} {time}';
    expect(format('2026-03-05T09:14:00Z', pattern, 'UTC')).toBe('Mar 5 9:14 AM');
    expect(format('2025-12-05T09:14:00Z', pattern, 'UTC')).toBe('Dec 5, 2025 9:14 AM');
    expect(format('2025-12-31T23:30:00Z', pattern, 'Asia/Tokyo')).toBe('Jan 1 8:30 AM');
  });

  it('knows the other tokens and leaves unknown ones as they are', () => {
    const at = '2026-02-03T04:05:06Z';
    expect(format(at, '{date_num}', 'UTC')).toBe('2026-02-03');
    expect(format(at, '{date}', 'UTC')).toBe('February 3rd, 2026');
    expect(format(at, '{date_short}', 'UTC')).toBe('Feb 3');
    expect(format(at, '{date_long}', 'UTC')).toBe('Tuesday, February 3rd, 2026');
    expect(format(at, '{time_secs}', 'UTC')).toBe('4:05:06 AM');
    expect(format('2026-03-10T14:57:00Z', '{ago}', 'UTC')).toBe('3 minutes ago');
    expect(format(at, 'at {time} {nonsense}', 'UTC')).toBe('at 4:05 AM {nonsense}');
    expect(format('2026-01-11T12:00:00Z', '{date}', 'UTC')).toBe('January 11th, 2026');
    expect(formatSlackDate(new Date(Number.NaN), '{time}')).toBeNull();
  });
});
