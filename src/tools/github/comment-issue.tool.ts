import { z } from 'zod';
import { keyedQueue } from '../../shared/keyed-queue.ts';
import type { GitHubSession } from '../../systems/github.access.ts';
import { commentSchema, type GitHubComment, issueSchema } from '../../systems/github.schemas.ts';
import { catalogServiceSchema } from '../catalog.calls.ts';
import type { ToolResult } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { githubMarker, githubTool } from './github.calls.ts';

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service whose repository holds the issue, such as checkout.'),
  issue_number: z.number().int().min(1).max(1_000_000_000).describe('The issue number in that repository.'),
  body: z.string().trim().min(1).max(10_000).describe('The comment, in Markdown.'),
});
type CommentArgs = z.infer<typeof input>;

/** How far back the lookup for an earlier attempt's comment reads (a retry comes within its deadline). */
const LOOKUP_WINDOW_MS = 7 * 24 * 3600_000;

/** Comments on an issue in the service's GitHub repository; a retry finds the first comment. */
export const commentGitHubIssueInfo = {
  name: 'comment_github_issue',
  description:
    "Add a comment to an issue in a service's GitHub repository (the repository the catalog names for the target environment), e.g. the run's findings on the issue tracking the incident.",
  input,
  kind: 'write',
  risk: 'low',
  reversible: true,
  idempotent: true,
} as const;

/** Builds comment_github_issue: a token with issues:write on the service's repository alone. */
export function createCommentGitHubIssueTool(deps: ToolDeps) {
  const oneAtATime = keyedQueue();
  const find = ({ github, args, key }: { github: GitHubSession; args: CommentArgs; key: string }) =>
    findByMarker({
      github,
      issue: args.issue_number,
      key,
      since: new Date(deps.clock.now().getTime() - LOOKUP_WINDOW_MS),
    });
  return githubTool({
    info: commentGitHubIssueInfo,
    deps,
    permissions: { issues: 'write' },
    verifyPermissions: { issues: 'read' },
    verify: async ({ args, context, github }) => {
      const found = await find({ github, args, key: context.idempotencyKey });
      return found
        ? { effect: 'present', result: commented({ github, args, comment: found, created: false }) }
        : {
            effect: 'absent',
            summary: `No comment on #${args.issue_number} carries this proposal's marker.`,
          };
    },
    run: ({ args, context, github }) =>
      oneAtATime(context.idempotencyKey, async () => {
        // The issue must exist in this repository (not a pull request's number in another).
        await github.call(
          'GET /repos/{owner}/{repo}/issues/{issue_number}',
          { issue_number: args.issue_number },
          issueSchema,
        );
        const existing = await find({ github, args, key: context.idempotencyKey });
        if (existing) return commented({ github, args, comment: existing, created: false });
        const made = await github.call(
          'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
          {
            issue_number: args.issue_number,
            body: `${args.body}\n\n_Posted by Warden for ${context.agent}, proposal ${context.proposalId}._\n${githubMarker(context.idempotencyKey)}`,
          },
          commentSchema,
        );
        return commented({ github, args, comment: made, created: true });
      }),
  });
}

async function findByMarker({
  github,
  issue,
  key,
  since,
}: {
  github: GitHubSession;
  issue: number;
  key: string;
  since: Date;
}): Promise<GitHubComment | null> {
  const marker = githubMarker(key);
  const comments = await github.call(
    'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
    { issue_number: issue, since: since.toISOString(), per_page: 100 },
    z.array(commentSchema),
  );
  return comments.find((c) => (c.body ?? '').includes(marker)) ?? null;
}

function commented({
  github,
  args,
  comment,
  created,
}: {
  github: GitHubSession;
  args: CommentArgs;
  comment: GitHubComment;
  created: boolean;
}): ToolResult {
  const where = `${github.owner}/${github.repo}#${args.issue_number}`;
  return {
    summary: `${created ? 'Commented on' : 'Already commented on'} ${where}`,
    data: { issue: where, commentId: comment.id, url: comment.html_url, created },
  };
}

/** comment_github_issue's entry in the tool catalog. */
export const commentGitHubIssueTool = toolSpec({
  info: commentGitHubIssueInfo,
  system: 'github',
  worlds: ['catalog'],
  build: createCommentGitHubIssueTool,
});
