import { describe, expect, it } from 'vitest';
import { renderMrkdwn, renderPlainText } from '../../src/dev/console/render/mrkdwn.ts';
import { directory, expectInert, HOSTILE } from './render-helpers.ts';

const md = (text: string) => renderMrkdwn({ text, directory });

describe('mrkdwn as Slack shows it', () => {
  it('formats bold, italics, strikethrough, code, code blocks, quotes and emoji', () => {
    expect(md('*bold* and _it_ and ~gone~')).toBe(
      '<strong>bold</strong> and <em>it</em> and <del>gone</del>',
    );
    expect(md('run `rollback_deploy` now')).toBe('run <code>rollback_deploy</code> now');
    expect(md('before\n```\n{\n  "a": 1\n}\n```\nafter')).toBe(
      'before<br><pre class="md-pre">{\n  &quot;a&quot;: 1\n}</pre>after',
    );
    expect(md('> quoted *line*\n> second\nplain')).toBe(
      '<blockquote>quoted <strong>line</strong><br>second</blockquote>plain',
    );
    expect(md(':white_check_mark: done :not_an_emoji:')).toContain('✅');
    expect(md(':white_check_mark: done :not_an_emoji:')).toContain(':not_an_emoji:');
  });

  it('leaves snake_case and arithmetic alone', () => {
    expect(md('rollback_deploy in mode_shadow')).toBe('rollback_deploy in mode_shadow');
    expect(md('2 * 3 * 4')).toBe('2 * 3 * 4');
  });

  it('shows mentions as @names, channels as #names, dates as their fallback', () => {
    expect(md('<@U0ONCALL01> and <@U0WARDENBOT> and <@U0NOBODY1>')).toBe(
      '<span class="mention user">@oncall.olivia</span> and <span class="mention user">@Warden</span> and <span class="mention user">@U0NOBODY1</span>',
    );
    expect(md('<#C0INCIDENT> <!subteam^S0SREAPPRV> <!here>')).toContain('#incidents');
    expect(md('<#C0INCIDENT> <!subteam^S0SREAPPRV> <!here>')).toContain('@sre-approvers');
    expect(md('<#C0INCIDENT> <!subteam^S0SREAPPRV> <!here>')).toContain('@here');
    expect(md('at <!date^1764061200^{date_short_pretty} {time}|2025-11-25T09:00:00.000Z>')).toBe(
      'at <time class="md-date" datetime="2025-11-25T09:00:00.000Z" data-format="{date_short_pretty} {time}">2025-11-25T09:00:00.000Z</time>',
    );
    // A date that is not one shows as its fallback text; markup in the format stays text.
    expect(md('<!date^soon^{time}|later>')).toBe('later');
    expect(md('<!date^1764061200^{time}" onload="x|x>')).toContain(
      'data-format="{time}&quot; onload=&quot;x"',
    );
  });

  it('decodes Slack entities once and escapes them for HTML', () => {
    expect(md('a &lt;b&gt; &amp;lt; c')).toBe('a &lt;b&gt; &amp;lt; c');
    expect(md('&amp;amp;')).toBe('&amp;amp;');
  });

  it('links only http, https and mailto', () => {
    expect(md('<https://example.com/a_b_c|the *docs*>')).toBe(
      '<a href="https://example.com/a_b_c" target="_blank" rel="noopener noreferrer">the *docs*</a>',
    );
    expect(md('<javascript:alert(1)|click>')).toBe('click');
    expect(md('<data:text/html,hi>')).toBe('&lt;data:text/html,hi&gt;');
  });

  it.each(HOSTILE)('never turns text into markup: %s', (text) => {
    const html = md(text);
    expectInert(html);
    // The renderer's own placeholders can neither be smuggled in nor left behind.
    expect(html).not.toMatch(/[\uE000\uE001]/);
    expectInert(renderPlainText({ text }));
  });

  it('escapes plain_text and keeps its emoji', () => {
    expect(renderPlainText({ text: '<b>x</b> :warning:' })).toBe(
      '&lt;b&gt;x&lt;/b&gt; <span class="emoji" title=":warning:">⚠️</span>',
    );
    expect(renderPlainText({ text: ':warning:', emoji: false })).toBe(':warning:');
  });
});
