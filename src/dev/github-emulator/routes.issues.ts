import { type Answer, failure, notFound, paginate, parseBody, validationFailed } from './answers.ts';
import { type RepoContext, type Route, repoPath } from './route.ts';
import type { StoredIssue } from './store.ts';
import { commentBody, createIssueBody, LIMITS } from './validate.ts';
import { botLogin, commentView, issueView } from './views.ts';

// Issues and their comments. A repository with issues turned off answers 410 Gone, as GitHub does.

const disabled = (): Answer => failure(410, 'Issues are disabled for this repo');

function listIssues({ api, path, repo, query }: RepoContext): Answer {
  const state = query.get('state') ?? 'open';
  const labels = (query.get('labels') ?? '')
    .split(',')
    .map((l) => l.trim().toLowerCase())
    .filter(Boolean);
  const creator = query.get('creator');
  const since = query.get('since') ? Date.parse(query.get('since') ?? '') : null;
  const sort = query.get('sort') ?? 'created';
  const ascending = query.get('direction') === 'asc';
  const key = (i: StoredIssue) =>
    sort === 'updated'
      ? i.updatedAt.getTime()
      : sort === 'comments'
        ? i.comments.length
        : i.createdAt.getTime();
  const found = repo.issues
    .filter(
      (i) =>
        (state === 'all' || i.state === state) &&
        labels.every((l) => i.labels.some((label) => label.name.toLowerCase() === l)) &&
        (creator === null || i.user.toLowerCase() === creator.toLowerCase()) &&
        (since === null || i.updatedAt.getTime() >= since),
    )
    .sort((a, b) => (key(a) - key(b) || a.number - b.number) * (ascending ? 1 : -1));
  const { page, headers } = paginate({ items: found, query, url: `${api}${path}` });
  return { status: 200, headers, body: page.map((i) => issueView(api, repo, i)) };
}

function createIssue({ api, repo, store, body, app }: RepoContext): Answer {
  const request = parseBody(createIssueBody, body);
  if (!request.ok) return request.answer;
  const title = String(request.value.title);
  if (title.trim() === '') return validationFailed('Issue', 'title', 'title is missing', 'missing_field');
  if (title.length > LIMITS.issueTitle)
    return validationFailed(
      'Issue',
      'title',
      `title is too long (maximum is ${LIMITS.issueTitle} characters)`,
    );
  const names = (request.value.labels ?? [])
    .map((l) => (typeof l === 'string' ? l : (l.name ?? '')))
    .filter((name) => name !== '');
  const issue = store.addIssue({
    repo: repo.fullName,
    title,
    body: request.value.body ?? null,
    labels: names,
    user: botLogin(app.slug),
  });
  issue.assignees = request.value.assignees ?? (request.value.assignee ? [request.value.assignee] : []);
  return {
    status: 201,
    headers: { location: `${api}/repos/${repo.fullName}/issues/${issue.number}` },
    body: issueView(api, repo, issue),
  };
}

const issueOf = (c: RepoContext) => c.repo.issues.find((i) => i.number === Number(c.params[2])) ?? null;

export const ISSUES_ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: repoPath('/issues'),
    auth: 'repo',
    permission: ['issues', 'read'],
    handle: (c) => (c.repo.hasIssues ? listIssues(c) : disabled()),
  },
  {
    method: 'POST',
    pattern: repoPath('/issues'),
    auth: 'repo',
    permission: ['issues', 'write'],
    handle: (c) => (c.repo.hasIssues ? createIssue(c) : disabled()),
  },
  {
    method: 'GET',
    pattern: repoPath('/issues/(\\d+)'),
    auth: 'repo',
    permission: ['issues', 'read'],
    handle: (c) => {
      if (!c.repo.hasIssues) return disabled();
      const issue = issueOf(c);
      return issue ? { status: 200, body: issueView(c.api, c.repo, issue) } : notFound();
    },
  },
  {
    method: 'GET',
    pattern: repoPath('/issues/(\\d+)/comments'),
    auth: 'repo',
    permission: ['issues', 'read'],
    handle: (c) => {
      if (!c.repo.hasIssues) return disabled();
      const issue = issueOf(c);
      if (!issue) return notFound();
      const { page, headers } = paginate({ items: issue.comments, query: c.query, url: `${c.api}${c.path}` });
      return {
        status: 200,
        headers,
        body: page.map((comment) => commentView(c.api, c.repo, issue, comment)),
      };
    },
  },
  {
    method: 'POST',
    pattern: repoPath('/issues/(\\d+)/comments'),
    auth: 'repo',
    permission: ['issues', 'write'],
    handle: (c) => {
      if (!c.repo.hasIssues) return disabled();
      const issue = issueOf(c);
      if (!issue) return notFound();
      const request = parseBody(commentBody, c.body);
      if (!request.ok) return request.answer;
      if (request.value.body.length > LIMITS.commentBody)
        return validationFailed(
          'IssueComment',
          'data',
          `Body is too long (maximum is ${LIMITS.commentBody} characters)`,
          'unprocessable',
        );
      const comment = c.store.addComment({ issue, body: request.value.body, user: botLogin(c.app.slug) });
      return { status: 201, body: commentView(c.api, c.repo, issue, comment) };
    },
  },
];
