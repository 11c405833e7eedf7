import { z } from 'zod';
import type { ServiceTarget } from '../../catalog/catalog.ts';
import { wardenError } from '../../shared/errors.ts';
import type { JiraClient, JiraIssue } from '../../systems/jira.client.ts';
import { adfText } from '../../systems/jira.schemas.ts';
import { connectionUnavailable } from '../catalog.calls.ts';
import type { ToolDeps } from '../tool-spec.ts';

/** An issue key argument; the tools also check that it is in the catalog's project. */
export const issueKeySchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{1,9}-[1-9][0-9]{0,9}$/, 'must be a Jira issue key such as OPS-123');

/** The Jira client for a service here and the project its tickets live in. */
export function jiraFor({ target, deps }: { target: ServiceTarget; deps: ToolDeps }): {
  client: JiraClient;
  project: string;
} {
  const jira = target.systems.jira;
  if (!jira)
    throw wardenError({
      code: 'catalog.no_system',
      message: `The service catalog names no Jira project for ${target.service} in ${target.environment}.`,
      details: { service: target.service, environment: target.environment, system: 'jira' },
    });
  const client = deps.systems.jira(jira.connection);
  if (!client) throw connectionUnavailable({ connection: jira.connection });
  return { client, project: jira.project };
}

/** Refuses a key outside the service's project before any call: the tools never reach other projects. */
export function requireInProject({
  key,
  project,
  target,
}: {
  key: string;
  project: string;
  target: ServiceTarget;
}) {
  if (key.startsWith(`${project}-`)) return;
  throw wardenError({
    code: 'jira.outside_project',
    message: `${key} is not in ${project}, the Jira project of ${target.service} in ${target.environment}.`,
    details: { key, project, service: target.service, environment: target.environment },
  });
}

/** Reads an issue and checks it is still in the project (an issue moved away keeps answering its old key). */
export async function readIssueInProject({
  client,
  key,
  project,
  target,
  signal,
  description = false,
}: {
  client: JiraClient;
  key: string;
  project: string;
  target: ServiceTarget;
  signal: AbortSignal;
  description?: boolean;
}): Promise<JiraIssue> {
  requireInProject({ key, project, target });
  const issue = await client.getIssue({ key, description, signal });
  requireInProject({ key: issue.key, project, target });
  if (issue.fields.project && issue.fields.project.key !== project)
    requireInProject({ key: `${issue.fields.project.key}-0`, project, target });
  return issue;
}

/** Longest description returned to the planner. */
const MAX_DESCRIPTION = 4_000;

/** An issue as the tools report it: untrusted text, shortened. */
export function issueView(issue: JiraIssue, site: string) {
  const description = issue.fields.description ? adfText(issue.fields.description) : null;
  return {
    key: issue.key,
    url: `${site}/browse/${issue.key}`,
    summary: issue.fields.summary ?? null,
    status: issue.fields.status?.name ?? null,
    statusCategory: issue.fields.status?.statusCategory?.key ?? null,
    type: issue.fields.issuetype?.name ?? null,
    labels: issue.fields.labels ?? [],
    created: issue.fields.created ?? null,
    updated: issue.fields.updated ?? null,
    ...(description === null
      ? {}
      : {
          description:
            description.length > MAX_DESCRIPTION
              ? `${description.slice(0, MAX_DESCRIPTION - 1)}…`
              : description,
        }),
  };
}

/** A JQL string literal: double-quoted, with `\` and `"` escaped. Pure. */
export function jqlString(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** The label that carries a proposal's idempotency key on the ticket it created. */
export function ticketLabel(key: string): string {
  return `warden-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The tag a comment ends with, naming the proposal that made it. */
export function commentMarker(key: string): string {
  return `[warden:${key}]`;
}
