import { type CommitSeed, createGitGraph, type GitGraph, type StoredCommit } from './git.ts';
import { createWorkStore } from './store.work.ts';

export type Permission = 'read' | 'write';
export type Permissions = Record<string, Permission>;

export type StoredLabel = {
  id: number;
  name: string;
  color: string;
  default: boolean;
  description: string | null;
};
export type StoredComment = { id: number; body: string; user: string; createdAt: Date; updatedAt: Date };
export type StoredIssue = {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels: StoredLabel[];
  assignees: string[];
  /** Login of the author; the app's bot (`slug[bot]`) for issues the fake's clients create. */
  user: string;
  comments: StoredComment[];
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
};
export type StoredRepository = {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  hasIssues: boolean;
  createdAt: Date;
  git: GitGraph;
  labels: Map<string, StoredLabel>;
  issues: StoredIssue[];
};
export type RepositorySeed = {
  fullName: string;
  defaultBranch?: string;
  private?: boolean;
  hasIssues?: boolean;
};
export type IssueSeed = {
  repo: string;
  title: string;
  body?: string | null;
  labels?: string[];
  state?: 'open' | 'closed';
  user?: string;
  createdAt?: Date;
  updatedAt?: Date;
};

/** Colors GitHub gives labels created on the fly. */
const DEFAULT_LABEL_COLOR = 'ededed';

/**
 * The fake's repositories (with their commits, issues, labels, deployments, workflows and runs), in memory.
 * Tests seed it and inspect it; routes read and write it.
 */
export function createGitHubStore({ now }: { now: () => Date }) {
  const repos = new Map<string, StoredRepository>();
  let nextId = 1_000;
  const newId = () => nextId++;
  const work = createWorkStore({ now, newId, repoOf: (repo) => repoOf(repo) });

  function repoOf(fullName: string): StoredRepository {
    const repo = repos.get(fullName.toLowerCase());
    if (!repo) throw new Error(`The GitHub emulator has no repository ${fullName}: add it first.`);
    return repo;
  }

  function labelOf(repo: StoredRepository, name: string): StoredLabel {
    const known = repo.labels.get(name.toLowerCase());
    if (known) return known;
    const label = { id: newId(), name, color: DEFAULT_LABEL_COLOR, default: false, description: null };
    repo.labels.set(name.toLowerCase(), label);
    return label;
  }

  return {
    ...work,
    /** The repository by `owner/name` (case-insensitive), or null. */
    repository: (fullName: string) => repos.get(fullName.toLowerCase()) ?? null,
    repositories: () => [...repos.values()],
    /** Adds a repository with one commit ("Initial commit") on its default branch. */
    addRepository(seed: RepositorySeed): StoredRepository {
      const [owner, name] = seed.fullName.split('/');
      if (!owner || !name) throw new Error(`A repository is named owner/name, not ${seed.fullName}.`);
      const existing = repos.get(seed.fullName.toLowerCase());
      if (existing) return existing;
      const defaultBranch = seed.defaultBranch ?? 'main';
      const git = createGitGraph({ repo: seed.fullName, now });
      git.commit({ branch: defaultBranch, commits: [{ message: 'Initial commit' }] });
      const repo: StoredRepository = {
        id: newId(),
        owner,
        name,
        fullName: seed.fullName,
        private: seed.private ?? true,
        defaultBranch,
        hasIssues: seed.hasIssues ?? true,
        createdAt: now(),
        git,
        labels: new Map(),
        issues: [],
      };
      repos.set(seed.fullName.toLowerCase(), repo);
      return repo;
    },
    /** Turns the repository's issues off (the API then answers 410 Gone) or on. */
    setIssuesEnabled({ repo, enabled }: { repo: string; enabled: boolean }): void {
      repoOf(repo).hasIssues = enabled;
    },
    /** Appends commits to a branch (default: the repository's default branch); returns them. */
    addCommits({
      repo,
      branch,
      from,
      commits,
    }: {
      repo: string;
      branch?: string;
      from?: string;
      commits: CommitSeed[];
    }): StoredCommit[] {
      const r = repoOf(repo);
      return r.git.commit({ branch: branch ?? r.defaultBranch, from: from ?? r.defaultBranch, commits });
    },
    /** Points a tag (or a branch) at a ref: a sha, a branch or another tag. */
    addRef({
      repo,
      kind = 'tag',
      name,
      ref,
    }: {
      repo: string;
      kind?: 'tag' | 'branch';
      name: string;
      ref: string;
    }) {
      if (!repoOf(repo).git.point({ kind, name, ref })) throw new Error(`No commit for ${ref} in ${repo}.`);
    },
    /** Adds an issue (its labels are created when unknown); returns it. */
    addIssue(seed: IssueSeed): StoredIssue {
      const repo = repoOf(seed.repo);
      const created = seed.createdAt ?? now();
      const issue: StoredIssue = {
        id: newId(),
        number: repo.issues.length + 1,
        title: seed.title,
        body: seed.body ?? null,
        state: seed.state ?? 'open',
        labels: (seed.labels ?? []).map((name) => labelOf(repo, name)),
        assignees: [],
        user: seed.user ?? 'octocat',
        comments: [],
        createdAt: created,
        updatedAt: seed.updatedAt ?? created,
        closedAt: seed.state === 'closed' ? created : null,
      };
      repo.issues.push(issue);
      return issue;
    },
    issues: (repo: string) => [...repoOf(repo).issues],
    addComment({ issue, body, user }: { issue: StoredIssue; body: string; user: string }): StoredComment {
      const at = now();
      const comment = { id: newId(), body, user, createdAt: at, updatedAt: at };
      issue.comments.push(comment);
      issue.updatedAt = at;
      return comment;
    },
  };
}
export type GitHubStore = ReturnType<typeof createGitHubStore>;
