import { failure, notFound, paginate } from './answers.ts';
import { type Route, repoPath } from './route.ts';
import type { StoredRepository } from './store.ts';
import { repositoryView } from './views.ts';
import { commitView, deploymentStatusView, deploymentView } from './views.work.ts';

// The repository itself, its deployments and `compare`.

/** The time of the newest commit: GitHub's `pushed_at`. */
const pushedAt = (repo: StoredRepository) => {
  const head = repo.git.resolve(repo.defaultBranch);
  return head ? new Date(head.committer.date) : repo.createdAt;
};

export const REPO_ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: repoPath(''),
    auth: 'repo',
    permission: ['metadata', 'read'],
    handle: ({ api, repo }) => ({ status: 200, body: repositoryView(api, repo, pushedAt(repo)) }),
  },
  {
    method: 'GET',
    pattern: repoPath('/deployments'),
    auth: 'repo',
    permission: ['deployments', 'read'],
    handle: ({ api, path, repo, store, query }) => {
      const filters = ['environment', 'ref', 'sha', 'task'] as const;
      const found = store
        .deployments(repo.fullName)
        .filter((d) => filters.every((f) => query.get(f) === null || query.get(f) === d[f]));
      const { page, headers } = paginate({ items: found, query, url: `${api}${path}` });
      return { status: 200, headers, body: page.map((d) => deploymentView(api, repo, d)) };
    },
  },
  {
    method: 'GET',
    pattern: repoPath('/deployments/(\\d+)/statuses'),
    auth: 'repo',
    permission: ['deployments', 'read'],
    handle: ({ api, path, repo, store, query, params }) => {
      const deployment = store.deployment(repo.fullName, Number(params[2]));
      if (!deployment) return notFound();
      const newestFirst = [...deployment.statuses].reverse();
      const { page, headers } = paginate({ items: newestFirst, query, url: `${api}${path}` });
      return {
        status: 200,
        headers,
        body: page.map((s) => deploymentStatusView(api, repo, deployment, s)),
      };
    },
  },
  {
    method: 'GET',
    pattern: repoPath('/compare/(.+)'),
    auth: 'repo',
    permission: ['contents', 'read'],
    handle: ({ api, repo, params }) => {
      const basehead = params[2] ?? '';
      const dots = basehead.indexOf('...');
      if (dots < 0) return notFound();
      const [baseRef, headRef] = [basehead.slice(0, dots), basehead.slice(dots + 3)];
      const base = repo.git.resolve(baseRef);
      if (!base) return failure(404, `No commit found for the ref ${baseRef}`);
      const head = repo.git.resolve(headRef);
      if (!head) return failure(404, `No commit found for the ref ${headRef}`);
      const comparison = repo.git.compare(base, head);
      const html = `https://github.com/${repo.fullName}/compare/${baseRef}...${headRef}`;
      return {
        status: 200,
        body: {
          url: `${api}/repos/${repo.fullName}/compare/${baseRef}...${headRef}`,
          html_url: html,
          permalink_url: `https://github.com/${repo.fullName}/compare/${repo.owner}:${base.sha.slice(0, 7)}...${repo.owner}:${head.sha.slice(0, 7)}`,
          diff_url: `${html}.diff`,
          patch_url: `${html}.patch`,
          base_commit: commitView(api, repo, comparison.base),
          merge_base_commit: commitView(api, repo, comparison.mergeBase),
          status: comparison.status,
          ahead_by: comparison.ahead.length,
          behind_by: comparison.behindBy,
          total_commits: comparison.ahead.length,
          commits: comparison.ahead.map((c) => commitView(api, repo, c)),
          files: [],
        },
      };
    },
  },
];
