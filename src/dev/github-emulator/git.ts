import { createHash } from 'node:crypto';

// A repository's commit graph, as far as `compare` needs it: commits with parents, branches and tags.

export type GitPerson = { name: string; email: string; date: string };
export type StoredCommit = {
  sha: string;
  treeSha: string;
  message: string;
  author: GitPerson;
  committer: GitPerson;
  parents: string[];
  /** The GitHub login of the author, when the commit is linked to an account. */
  login: string | null;
};
export type CommitSeed = {
  message: string;
  sha?: string;
  author?: { name: string; email: string };
  login?: string;
  /** ISO time; default: the store's clock. */
  date?: string;
};
export type Comparison = {
  status: 'ahead' | 'behind' | 'identical' | 'diverged';
  base: StoredCommit;
  mergeBase: StoredCommit;
  /** Reachable from head and not from base, oldest first. */
  ahead: StoredCommit[];
  behindBy: number;
};

const fakeSha = (seed: string) => createHash('sha1').update(seed).digest('hex');

/** Commits, branches and tags of one repository. */
export function createGitGraph({ repo, now }: { repo: string; now: () => Date }) {
  const commits = new Map<string, StoredCommit>();
  const order: string[] = [];
  const branches = new Map<string, string>();
  const tags = new Map<string, string>();

  function resolve(ref: string): StoredCommit | null {
    const named = branches.get(ref) ?? tags.get(ref) ?? branches.get(ref.replace(/^refs\/heads\//, ''));
    if (named) return commits.get(named) ?? null;
    const tagged = tags.get(ref.replace(/^refs\/tags\//, ''));
    if (tagged) return commits.get(tagged) ?? null;
    if (!/^[0-9a-f]{7,40}$/.test(ref)) return null;
    const found = order.filter((sha) => sha.startsWith(ref));
    return found.length === 1 ? (commits.get(found[0] as string) ?? null) : null;
  }

  function ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const queue = [sha];
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(commits.get(next)?.parents ?? []));
    }
    return seen;
  }

  return {
    branches,
    tags,
    resolve,
    hasBranch: (name: string) => branches.has(name),
    /** Appends commits on top of `branch` (created from `from`, or empty history, when missing). */
    commit({ branch, from, commits: seeds }: { branch: string; from?: string; commits: CommitSeed[] }) {
      let head = branches.get(branch) ?? (from ? resolve(from)?.sha : undefined) ?? null;
      const made: StoredCommit[] = [];
      for (const seed of seeds) {
        const date =
          seed.date ??
          now()
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z');
        const person = {
          ...(seed.author ?? { name: 'Octo Cat', email: 'octocat@users.noreply.github.com' }),
          date,
        };
        const sha = seed.sha ?? fakeSha(`${repo}\n${head}\n${seed.message}\n${order.length}`);
        const commit: StoredCommit = {
          sha,
          treeSha: fakeSha(`tree ${sha}`),
          message: seed.message,
          author: person,
          committer: person,
          parents: head ? [head] : [],
          login: seed.login ?? null,
        };
        commits.set(sha, commit);
        order.push(sha);
        made.push(commit);
        head = sha;
      }
      if (head) branches.set(branch, head);
      return made;
    },
    /** Points a tag or branch at a ref; false when the ref does not resolve. */
    point({ kind, name, ref }: { kind: 'tag' | 'branch'; name: string; ref: string }): boolean {
      const target = resolve(ref);
      if (!target) return false;
      (kind === 'tag' ? tags : branches).set(name, target.sha);
      return true;
    },
    /** `base...head` as GitHub computes it: what head has that base has not, and the reverse. */
    compare(base: StoredCommit, head: StoredCommit): Comparison {
      const fromBase = ancestors(base.sha);
      const fromHead = ancestors(head.sha);
      const ahead = order.filter((sha) => fromHead.has(sha) && !fromBase.has(sha));
      const behindBy = order.filter((sha) => fromBase.has(sha) && !fromHead.has(sha)).length;
      const mergeBaseSha = [...order].reverse().find((sha) => fromHead.has(sha) && fromBase.has(sha));
      const status =
        ahead.length === 0 && behindBy === 0
          ? 'identical'
          : behindBy === 0
            ? 'ahead'
            : ahead.length === 0
              ? 'behind'
              : 'diverged';
      return {
        status,
        base,
        mergeBase: commits.get(mergeBaseSha ?? base.sha) ?? base,
        ahead: ahead.map((sha) => commits.get(sha) as StoredCommit),
        behindBy,
      };
    },
  };
}
export type GitGraph = ReturnType<typeof createGitGraph>;
