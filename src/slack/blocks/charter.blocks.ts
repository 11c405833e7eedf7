import type { Charter } from '../../policy/charter.schemas.ts';
import { context, fallback, header, type SlackMessage, section } from './elements.ts';
import { fitBlocks, SLACK_LIMITS } from './limits.ts';
import { escapeMrkdwn, fitMrkdwn, inlineCode, mention } from './mrkdwn.ts';

// A private-use character around the index of each person in the description. When the charter's own text
// holds it, nobody is mentioned: text from the charter can never become a mention.
const PERSON = '\uE002';

/**
 * `/agent charter`: the charter described in words, a section per paragraph, its people (owners, group
 * members, invokers) as mentions. `describe` writes the description with the `person` it is given.
 */
export function charterMessage({
  charter,
  describe,
}: {
  charter: Pick<Charter, 'agent' | 'version'> & { hash?: string; file?: string };
  describe: (person: (id: string) => string) => string;
}): SlackMessage {
  const people: string[] = [];
  const marked = paragraphsOf(describe((id) => `${PERSON}${people.push(id) - 1}${PERSON}`));
  const plain = paragraphsOf(describe((id) => id));
  const markedSafely = !plain.some((p) => p.includes(PERSON)) && marked.length === plain.length;
  const sections = plain.map((text, i) => {
    const withPeople = markedSafely ? mentionPeople(marked[i] ?? '', people) : null;
    return withPeople && withPeople.length <= SLACK_LIMITS.sectionText
      ? withPeople
      : fitMrkdwn({ text, max: SLACK_LIMITS.sectionText });
  });
  const where = [
    charter.hash ? `hash ${inlineCode(charter.hash.slice(0, 12), 20)}` : null,
    charter.file ? `file ${inlineCode(charter.file, 200)}` : null,
    '`warden charter validate` checks it; `warden charter test` runs its cases',
  ].filter((p): p is string => p !== null);
  const blocks = fitBlocks({
    blocks: [
      header(`Charter: ${charter.agent} (version ${charter.version})`),
      ...sections.map((text) => section(text)),
      context([where.join(' · ')]),
    ],
    keepLast: 1,
  });
  return { text: fallback(`Charter of ${charter.agent}, version ${charter.version}`), blocks };
}

function paragraphsOf(description: string): string[] {
  return description
    .split(/\n\s*\n/)
    .map((p) => p.replace(/^ {2,}/gm, '• ').trim())
    .filter((p) => p.length > 0);
}

/** Text escaped, and every marked person a mention (a real Slack user ID) or inert code. */
function mentionPeople(paragraph: string, people: readonly string[]): string {
  return paragraph
    .split(PERSON)
    .map((piece, i) => (i % 2 === 1 ? mention(people[Number(piece)] ?? piece) : escapeMrkdwn(piece)))
    .join('');
}
