import { createHash } from 'node:crypto';
import { RECORDED, substitute } from './recorded.ts';
import type { StoredComment, StoredIssue, StoredLabel, StoredRepository } from './store.ts';

// Objects as GitHub answers them, built from the recorded real answers in `recorded.ts`. `api` is the
// fake's base URL: the `url` fields point back at it so a client following them reaches the fake.

type Json = Record<string, unknown>;
const REAL_API = 'https://api.github.com';

/** GitHub's `node_id`: base64 of a type-tagged id (close enough for a client, which treats it as opaque). */
export const nodeId = (kind: string, id: number | string) => Buffer.from(`0:${kind}${id}`).toString('base64');
/** GitHub's timestamps: ISO 8601 without milliseconds. */
export const time = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z');
/** A stable account id for a login (the fake keeps no user table). */
export const accountId = (login: string) =>
  Number.parseInt(createHash('sha1').update(login).digest('hex').slice(0, 7), 16);

/** The app's bot account: `warden-test[bot]`, type Bot. */
export const botLogin = (slug: string) => `${slug}[bot]`;

/** A simple user (or organization, or bot) as GitHub embeds it in other objects. */
export function userView(api: string, login: string, type?: 'User' | 'Organization' | 'Bot'): Json {
  const kind = type ?? (login.endsWith('[bot]') ? 'Bot' : 'User');
  const id = accountId(login);
  const user = substitute(RECORDED.user, [
    [REAL_API, api],
    [RECORDED.userLogin, encodeURIComponent(login)],
  ]);
  return {
    ...user,
    login,
    id,
    node_id: nodeId(kind, id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    type: kind,
    ...(kind === 'Bot' ? { html_url: `https://github.com/apps/${login.replace(/\[bot\]$/, '')}` } : {}),
  };
}

/** A repository as `GET /repos/{owner}/{repo}` answers it to an installation token. */
export function repositoryView(api: string, repo: StoredRepository, pushedAt: Date): Json {
  const recorded = substitute(RECORDED.repository, [
    [REAL_API, api],
    [RECORDED.repositoryName, repo.fullName],
    [RECORDED.org, repo.owner],
  ]);
  const owner = userView(api, repo.owner, 'Organization');
  return {
    ...recorded,
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    visibility: repo.private ? 'private' : 'public',
    owner,
    organization: owner,
    created_at: time(repo.createdAt),
    updated_at: time(pushedAt),
    pushed_at: time(pushedAt),
    default_branch: repo.defaultBranch,
    has_issues: repo.hasIssues,
    has_discussions: false,
    topics: [],
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    forks_count: 0,
    forks: 0,
    network_count: 0,
    subscribers_count: 0,
    open_issues_count: repo.issues.filter((i) => i.state === 'open').length,
    open_issues: repo.issues.filter((i) => i.state === 'open').length,
    // What an installation token may do: an app never administers the repository.
    permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
  };
}

/** A label as issues embed it. */
export function labelView(api: string, repo: StoredRepository, label: StoredLabel): Json {
  return {
    ...substitute(RECORDED.label, [[REAL_API, api]]),
    id: label.id,
    node_id: nodeId('Label', label.id),
    url: `${api}/repos/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    color: label.color,
    default: label.default,
    description: label.description,
  };
}

/** An issue as `GET /repos/{owner}/{repo}/issues/{number}` answers it. */
export function issueView(api: string, repo: StoredRepository, issue: StoredIssue): Json {
  const recorded = substitute(RECORDED.issue, [
    [REAL_API, api],
    [RECORDED.issueRepo, repo.fullName],
  ]);
  const base = `${api}/repos/${repo.fullName}/issues/${issue.number}`;
  const assignees = issue.assignees.map((login) => userView(api, login));
  return {
    ...recorded,
    url: base,
    repository_url: `${api}/repos/${repo.fullName}`,
    labels_url: `${base}/labels{/name}`,
    comments_url: `${base}/comments`,
    events_url: `${base}/events`,
    timeline_url: `${base}/timeline`,
    html_url: `https://github.com/${repo.fullName}/issues/${issue.number}`,
    id: issue.id,
    node_id: nodeId('Issue', issue.id),
    number: issue.number,
    title: issue.title,
    body: issue.body,
    user: userView(api, issue.user),
    labels: issue.labels.map((l) => labelView(api, repo, l)),
    state: issue.state,
    state_reason: issue.state === 'closed' ? 'completed' : null,
    assignee: assignees[0] ?? null,
    assignees,
    comments: issue.comments.length,
    created_at: time(issue.createdAt),
    updated_at: time(issue.updatedAt),
    closed_at: issue.closedAt ? time(issue.closedAt) : null,
    author_association: issue.user.endsWith('[bot]') ? 'NONE' : 'MEMBER',
    reactions: { ...(recorded.reactions as Json), url: `${base}/reactions` },
  };
}

/** An issue comment as `POST …/issues/{number}/comments` answers it. */
export function commentView(api: string, repo: StoredRepository, issue: StoredIssue, comment: StoredComment) {
  return {
    url: `${api}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `https://github.com/${repo.fullName}/issues/${issue.number}#issuecomment-${comment.id}`,
    issue_url: `${api}/repos/${repo.fullName}/issues/${issue.number}`,
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    user: userView(api, comment.user),
    created_at: time(comment.createdAt),
    updated_at: time(comment.updatedAt),
    author_association: comment.user.endsWith('[bot]') ? 'NONE' : 'MEMBER',
    body: comment.body,
    reactions: {
      ...(RECORDED.issue.reactions as Json),
      url: `${api}/repos/${repo.fullName}/issues/comments/${comment.id}/reactions`,
    },
    performed_via_github_app: null,
  };
}
