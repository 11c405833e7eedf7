import type { z } from 'zod';
import { matchesJql, parseJql } from './jql.ts';
import { issueView, type JiraStore, jqlView, statusView } from './store.ts';
import { addCommentBody, createIssueBody, errorsOf, searchBody, transitionBody } from './validate.ts';

export type Answer = { status: number; body?: unknown };
export type Account = {
  email: string;
  token: string;
  accountId: string;
  displayName: string;
  scopes: string[];
};
export type RouteContext = {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  account: Account;
  store: JiraStore;
  /** The API base the client called (`…/ex/jira/{cloudId}`), for `self` links. */
  base: string;
  site: string;
  now: () => Date;
};
type Route = {
  method: string;
  pattern: RegExp;
  scope: string;
  handle: (c: RouteContext, m: string[]) => Answer;
};

const notFound = (): Answer => ({
  status: 404,
  body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} },
});
const badRequest = (errors: Record<string, string>, errorMessages: string[] = []): Answer => ({
  status: 400,
  body: { errorMessages, errors },
});

function parse<T>(
  schema: z.ZodType<T>,
  body: unknown,
): { ok: true; value: T } | { ok: false; answer: Answer } {
  const parsed = schema.safeParse(body);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, answer: badRequest(errorsOf(parsed.error)) };
}

/** The endpoints the fake serves, each with the scope a scoped token needs for it. */
export const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: /^\/rest\/api\/3\/myself$/,
    scope: 'read:jira-user',
    handle: ({ account }) => ({
      status: 200,
      body: {
        accountId: account.accountId,
        emailAddress: account.email,
        displayName: account.displayName,
        active: true,
      },
    }),
  },
  {
    method: 'GET',
    pattern: /^\/rest\/api\/3\/serverInfo$/,
    scope: 'read:jira-work',
    handle: ({ site }) => ({
      status: 200,
      body: { baseUrl: site, version: '1001.0.0-SNAPSHOT', deploymentType: 'Cloud', serverTitle: 'Jira' },
    }),
  },
  {
    method: 'POST',
    pattern: /^\/rest\/api\/3\/search\/jql$/,
    scope: 'read:jira-work',
    handle: ({ body, store, base, now }) => {
      const request = parse(searchBody, body);
      if (!request.ok) return request.answer;
      const jql = parseJql(request.value.jql);
      if (!jql.ok) return badRequest({}, [jql.message]);
      if (jql.jql.clauses.length === 0)
        return badRequest({}, [
          'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
        ]);
      const found = store.issues().filter((i) => matchesJql(jqlView(i), jql.jql, now()));
      const desc = jql.jql.orderBy?.direction === 'DESC';
      found.sort(
        (a, b) =>
          (a.created.getTime() - b.created.getTime() || Number(a.id) - Number(b.id)) * (desc ? -1 : 1),
      );
      const max = request.value.maxResults ?? 50;
      const page = found.slice(0, max);
      return {
        status: 200,
        body: {
          issues: page.map((i) => issueView(i, base, request.value.fields ?? ['id'])),
          isLast: page.length === found.length,
          ...(page.length < found.length
            ? { nextPageToken: Buffer.from(String(max)).toString('base64') }
            : {}),
        },
      };
    },
  },
  {
    method: 'POST',
    pattern: /^\/rest\/api\/3\/issue$/,
    scope: 'write:jira-work',
    handle: ({ body, store, base }) => {
      const request = parse(createIssueBody, body);
      if (!request.ok) return request.answer;
      const { fields } = request.value;
      const project = 'key' in fields.project ? fields.project.key : null;
      if (!project || !store.hasProject(project)) return badRequest({ project: 'valid project is required' });
      const issueType = 'name' in fields.issuetype ? fields.issuetype.name : null;
      if (issueType !== 'Task' && issueType !== 'Bug')
        return badRequest({ issuetype: 'Specify a valid issue type' });
      const issue = store.create({
        project,
        issueType,
        summary: fields.summary,
        description: fields.description ?? null,
        labels: fields.labels ?? [],
      });
      return {
        status: 201,
        body: { id: issue.id, key: issue.key, self: `${base}/rest/api/3/issue/${issue.id}` },
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)$/,
    scope: 'read:jira-work',
    handle: ({ store, query, base }, [key]) => {
      const issue = store.get(key ?? '');
      if (!issue) return notFound();
      const fields = query.get('fields');
      return { status: 200, body: issueView(issue, base, fields ? fields.split(',') : null) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)\/comment$/,
    scope: 'read:jira-work',
    handle: ({ store }, [key]) => {
      const issue = store.get(key ?? '');
      if (!issue) return notFound();
      const comments = issue.comments.map((c) => ({
        id: c.id,
        body: c.body,
        created: c.created.toISOString(),
        author: { displayName: c.author },
      }));
      return { status: 200, body: { startAt: 0, maxResults: 100, total: comments.length, comments } };
    },
  },
  {
    method: 'POST',
    pattern: /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)\/comment$/,
    scope: 'write:jira-work',
    handle: ({ store, body, account }, [key]) => {
      const issue = store.get(key ?? '');
      if (!issue) return notFound();
      const request = parse(addCommentBody, body);
      if (!request.ok) return request.answer;
      const comment = store.addComment(issue, request.value.body, account.displayName);
      return {
        status: 201,
        body: { id: comment.id, body: comment.body, created: comment.created.toISOString() },
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)\/transitions$/,
    scope: 'read:jira-work',
    handle: ({ store }, [key]) => {
      const issue = store.get(key ?? '');
      return issue ? { status: 200, body: { transitions: store.transitionsOf(issue) } } : notFound();
    },
  },
  {
    method: 'POST',
    pattern: /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)\/transitions$/,
    scope: 'write:jira-work',
    handle: ({ store, body }, [key]) => {
      const issue = store.get(key ?? '');
      if (!issue) return notFound();
      const request = parse(transitionBody, body);
      if (!request.ok) return request.answer;
      if (!store.transition(issue, request.value.transition.id))
        return badRequest({
          transition: `Transition id '${request.value.transition.id}' is not valid for this issue.`,
        });
      return { status: 204 };
    },
  },
];

export { statusView };
