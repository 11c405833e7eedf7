import { z } from 'zod';
import { comparisonSchema } from '../../systems/github.schemas.ts';
import { catalogServiceSchema } from '../catalog.calls.ts';
import { READ_TOOL } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { firstLine, githubTool } from './github.calls.ts';

/** A commit sha, tag or branch: no `..`, no leading `-`, nothing a path could be made of. */
const ref = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._/-]{0,99}$/, 'must be a commit sha, tag or branch such as v2.13.4')
  .refine((r) => !r.includes('..') && !r.endsWith('/') && !r.endsWith('.lock'), 'must be a plain ref');

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service whose repository to read, such as checkout.'),
  base: ref.describe('The older version: a tag, branch or commit sha (e.g. the last good deployment).'),
  head: ref.describe('The newer version: a tag, branch or commit sha (e.g. the bad deployment).'),
});

/** Most commits returned to the planner (oldest first). */
const MAX_COMMITS = 50;

/** Lists the commits between two versions of the service: the change behind a bad deploy. */
export const compareCommitsInfo = {
  name: 'compare_commits',
  description:
    "List the commits between two versions (tags, branches or shas) of a service's GitHub repository, oldest first, with their authors and first lines: the change behind a bad deployment.",
  input,
  ...READ_TOOL,
} as const;

/** Builds compare_commits: a token with contents:read on the service's repository alone. */
export function createCompareCommitsTool(deps: ToolDeps) {
  return githubTool({
    info: compareCommitsInfo,
    deps,
    permissions: { contents: 'read' },
    run: async ({ args, target, repository, github }) => {
      const found = await github.call(
        'GET /repos/{owner}/{repo}/compare/{basehead}',
        { basehead: `${args.base}...${args.head}`, per_page: MAX_COMMITS },
        comparisonSchema,
      );
      const commits = found.commits.slice(-MAX_COMMITS).map((c) => ({
        sha: c.sha.slice(0, 12),
        message: firstLine(c.commit.message),
        author: c.author?.login ?? c.commit.author?.name ?? null,
        date: c.commit.author?.date ?? null,
        url: c.html_url,
      }));
      const shown = commits.length < found.total_commits ? ` (the last ${commits.length} shown)` : '';
      return {
        summary: `${found.total_commits} commit${found.total_commits === 1 ? '' : 's'} from ${args.base} to ${args.head} in ${repository.repository} (${found.status})${shown}`,
        data: {
          service: target.service,
          repository: repository.repository,
          base: args.base,
          head: args.head,
          status: found.status,
          aheadBy: found.ahead_by,
          behindBy: found.behind_by,
          totalCommits: found.total_commits,
          commits,
          url: found.html_url,
        },
      };
    },
  });
}

/** compare_commits' entry in the tool catalog. */
export const compareCommitsTool = toolSpec({
  info: compareCommitsInfo,
  system: 'github',
  worlds: ['catalog'],
  build: createCompareCommitsTool,
});
