import { expect } from 'vitest';
import { createDirectory, describePeople } from '../../src/dev/console/console.people.ts';
import type { RenderContext } from '../../src/dev/console/render/messages.ts';
import { createSandboxPeople } from '../../src/dev/slack-emulator/index.ts';

const sandbox = createSandboxPeople();
const people = describePeople({ users: sandbox.users, charters: [] });
export const directory = createDirectory({
  people,
  channels: sandbox.channels,
  usergroups: sandbox.usergroups,
  botUserId: 'U0WARDENBOT',
});
export const ctx: RenderContext = {
  directory,
  botUserId: 'U0WARDENBOT',
  displayName: (id) => people.find((p) => p.id === id)?.realName ?? id,
};

/** The markup the console itself may produce; anything else means text became HTML. */
export const ALLOWED_TAGS = new Set(
  'div span strong em del code pre br blockquote a button hr label textarea input time h2 h3 form p'.split(
    ' ',
  ),
);

/** Every tag in the HTML; escaped text never contains a raw `<`, so these are all real elements. */
function tagsOf(html: string): { name: string; attributes: string }[] {
  return [...html.matchAll(/<\/?([a-zA-Z0-9-]+)([^>]*)>/g)].map((m) => ({
    name: m[1]!.toLowerCase(),
    attributes: m[2] ?? '',
  }));
}

/** Attributes as the console writes them: every value double-quoted, with no raw `"` inside. */
function attributesOf(text: string): { names: string[]; values: string[]; leftover: string } {
  const names: string[] = [];
  const values: string[] = [];
  const leftover = text.replace(
    /\s([a-zA-Z][a-zA-Z0-9-]*)(?:="([^"]*)")?/g,
    (_m, name: string, value?: string) => {
      names.push(name.toLowerCase());
      if (value !== undefined) values.push(value);
      return '';
    },
  );
  return { names, values, leftover };
}

/** Fails when the HTML has a tag the console never writes, an event handler or a javascript: URL. */
export function expectInert(html: string) {
  for (const tag of tagsOf(html)) {
    expect(ALLOWED_TAGS.has(tag.name), `unexpected <${tag.name}> in ${html}`).toBe(true);
    const { names, values, leftover } = attributesOf(tag.attributes);
    expect(leftover.trim(), `unparsed attribute text in <${tag.name}>`).toBe('');
    for (const name of names) expect(name, `event handler on <${tag.name}>`).not.toMatch(/^on/);
    for (const value of values) expect(value).not.toMatch(/^\s*javascript:/i);
  }
}

export const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror="alert(1)">',
  '"><svg onload=alert(1)>',
  "'><iframe src=javascript:alert(1)>",
  '<javascript:alert(1)|click>',
  '<http://example.com" onmouseover="alert(1)|x>',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '```</pre><script>alert(1)</script>```',
  '`</code><img src=x onerror=alert(1)>`',
  '\uE0000\uE001 placeholder smuggling \uE0001\uE001',
  '<!date^1700000000^{date}|<img src=x onerror=alert(1)>>',
  '<@U0ONCALL01|<b>x</b>>',
  '*<img src=x onerror=alert(1)>* _<svg onload=alert(1)>_',
];
