import { describe, expect, it } from 'vitest';
import { blockedMessage } from '../../../src/breakers/breaker.messages.ts';
import { withSlackDates } from '../../../src/slack/blocks/dates.ts';
import { slackDate } from '../../../src/slack/blocks/mrkdwn.ts';

describe('times on their way to Slack', () => {
  it('turns the ISO time of a breaker message into a Slack date, keeping ISO as the fallback', () => {
    const until = new Date('2026-11-24T09:05:00.000Z');
    const plain = blockedMessage({
      breaker: 'tickets',
      key: '*',
      reason: null,
      admission: { pass: false, why: 'open', until },
    });
    expect(plain).toContain('until 2026-11-24T09:05:00.000Z or');
    expect(withSlackDates(plain)).toBe(
      'Breaker "tickets" tripped; the agent is paused until <!date^1795511100^{date_short_pretty} {time}|2026-11-24T09:05:00.000Z> or until an owner resets it.',
    );
  });

  it('leaves tokens, mentions and text without times alone', () => {
    const already = `Opened ${slackDate(new Date('2026-11-24T09:05:00Z'))} by <@U0ONCALL01>.`;
    expect(withSlackDates(already)).toBe(already);
    expect(withSlackDates('v2.13.4 at 09:05, ticket 2026-11-24')).toBe('v2.13.4 at 09:05, ticket 2026-11-24');
    expect(withSlackDates('closed at 2026-11-24T09:05:00Z.')).toBe(
      `closed at ${slackDate(new Date('2026-11-24T09:05:00Z'))}.`,
    );
    expect(withSlackDates('bogus 2026-13-45T99:99:99Z')).toBe('bogus 2026-13-45T99:99:99Z');
    // A time with its zone offset, as a planner may write it, is the same instant.
    expect(withSlackDates('opened 2026-11-24T10:05+01:00.')).toBe(
      `opened ${slackDate(new Date('2026-11-24T09:05:00Z'))}.`,
    );
    // Slack formats nothing inside code: a time there stays as written.
    expect(withSlackDates('`deploy at=2026-11-24T09:05:00Z` then 2026-11-24T09:05:00Z')).toBe(
      `\`deploy at=2026-11-24T09:05:00Z\` then ${slackDate(new Date('2026-11-24T09:05:00Z'))}`,
    );
  });
});
