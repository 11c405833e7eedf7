import { z } from 'zod';
import type { ServiceTarget } from '../../catalog/catalog.ts';
import { keyedQueue } from '../../shared/keyed-queue.ts';
import type { GitHubSession } from '../../systems/github.access.ts';
import { type GitHubIssue, issueSchema } from '../../systems/github.schemas.ts';
import type { ToolResult } from '../define.ts';
import { catalogTicketInfo, ticketFooter } from '../tickets/ticket.info.ts';
import type { ToolDeps } from '../tool-spec.ts';
import { githubMarker, githubTool } from './github.calls.ts';

/** The label every issue Warden files carries; the idempotency lookup lists only these. */
export const WARDEN_LABEL = 'warden';

/** How many of the newest Warden issues the lookup reads: a retry of a proposal comes within its deadline. */
const LOOKUP_PAGE = 100;

/**
 * The catalog world's create_ticket where the catalog files tickets in GitHub issues: an issue in the
 * service's repository with the proposal's key in a hidden marker, looked up first, so a retry or a second
 * instance finds the first one instead of filing another.
 */
export function createGitHubCreateTicketTool(deps: ToolDeps) {
  const oneAtATime = keyedQueue();
  return githubTool({
    info: catalogTicketInfo,
    deps,
    permissions: { issues: 'write' },
    verifyPermissions: { issues: 'read' },
    verify: async ({ context, target, github }) => {
      const found = await findByMarker({ github, key: context.idempotencyKey });
      return found
        ? { effect: 'present', result: filed({ target, github, issue: found, created: false }) }
        : {
            effect: 'absent',
            summary: `No issue in ${github.owner}/${github.repo} carries this proposal's marker.`,
          };
    },
    run: ({ args, context, target, github }) =>
      oneAtATime(context.idempotencyKey, async () => {
        const existing = await findByMarker({ github, key: context.idempotencyKey });
        if (existing) return filed({ target, github, issue: existing, created: false });
        const created = await github.call(
          'POST /repos/{owner}/{repo}/issues',
          {
            title: args.title,
            body: `${args.body}\n\n${ticketFooter({ args, context })}\n\n${githubMarker(context.idempotencyKey)}`,
            labels: [WARDEN_LABEL, args.severity],
          },
          issueSchema,
        );
        return filed({ target, github, issue: created, created: true });
      }),
  });
}

async function findByMarker({ github, key }: { github: GitHubSession; key: string }) {
  const marker = githubMarker(key);
  const issues = await github.call(
    'GET /repos/{owner}/{repo}/issues',
    { state: 'all', labels: WARDEN_LABEL, sort: 'created', direction: 'desc', per_page: LOOKUP_PAGE },
    z.array(issueSchema),
  );
  return issues.find((i) => i.pull_request === undefined && (i.body ?? '').includes(marker)) ?? null;
}

function filed({
  target,
  github,
  issue,
  created,
}: {
  target: ServiceTarget;
  github: GitHubSession;
  issue: GitHubIssue;
  created: boolean;
}): ToolResult {
  const repository = `${github.owner}/${github.repo}`;
  return {
    summary: `${created ? 'Filed' : 'Already filed'} ${repository}#${issue.number} for ${target.service} in ${target.environment}`,
    data: {
      service: target.service,
      environment: target.environment,
      ticket: { key: `${repository}#${issue.number}`, repository, number: issue.number, url: issue.html_url },
      created,
    },
  };
}
