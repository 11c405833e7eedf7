import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// Real answers of api.github.com, recorded by `@octokit/fixtures`: the fake builds its users, repositories,
// issues and labels from them (substituting ids, names and times) so they have the fields GitHub really sent.

type Json = Record<string, unknown>;
type Recording = { method: string; path: string; status: number; response: unknown };

const require = createRequire(import.meta.url);

function recordings(scenario: string): Recording[] {
  const file = require.resolve(
    `@octokit/fixtures/scenarios/api.github.com/${scenario}/normalized-fixture.json`,
  );
  return JSON.parse(readFileSync(file, 'utf8')) as Recording[];
}

function recorded(scenario: string, method: string, path: RegExp): unknown {
  const found = recordings(scenario).find((r) => r.method === method && path.test(r.path));
  if (!found)
    throw new Error(`@octokit/fixtures has no ${method} ${path} in ${scenario}: check its version.`);
  return found.response;
}

const issues = recorded('paginate-issues', 'get', /\/issues\?/) as Json[];
const issue = issues[0] as Json;

/** The recorded templates, with the names and ids of the fixture organization still in them. */
export const RECORDED = {
  org: 'octokit-fixture-org',
  user: issue.user as Json,
  userLogin: 'octokit-fixture-user-a',
  issue,
  issueRepo: 'octokit-fixture-org/paginate-issues',
  repository: recorded('get-repository', 'get', /^\/repos\/[^/]+\/hello-world$/) as Json,
  repositoryName: 'octokit-fixture-org/hello-world',
  label: (recorded('add-labels-to-issue', 'post', /\/labels$/) as Json[])[0] as Json,
  labelRepo: 'octokit-fixture-org/add-labels-to-issue',
} as const;

/** A deep copy of a template with every occurrence of `from` (in strings) replaced by `to`, in order. */
export function substitute<T>(template: T, replacements: [from: string, to: string][]): T {
  let text = JSON.stringify(template);
  for (const [from, to] of replacements) text = text.split(from).join(to);
  return JSON.parse(text) as T;
}
