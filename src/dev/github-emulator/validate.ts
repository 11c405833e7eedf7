import { z } from 'zod';

// Request bodies as GitHub's REST API (2022-11-28) accepts them, for the endpoints the fake serves. A body
// that does not fit is answered 422 `Invalid request.` (see answers.ts); limits GitHub enforces on values
// (title and comment length, number of inputs) are checked by the routes with GitHub's own messages.

const permissionLevel = z.enum(['read', 'write']);

export const accessTokenBody = z.object({
  repositories: z.array(z.string()).optional(),
  repository_ids: z.array(z.number().int()).optional(),
  permissions: z.record(z.string(), permissionLevel).optional(),
});

export const dispatchBody = z.object({
  ref: z.string(),
  inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  return_run_details: z.boolean().optional(),
});

const labelRef = z.union([
  z.string(),
  z.object({
    id: z.number().int().optional(),
    name: z.string().optional(),
    description: z.string().nullable().optional(),
    color: z.string().nullable().optional(),
  }),
]);

export const createIssueBody = z.object({
  title: z.union([z.string(), z.number().int()]),
  body: z.string().optional(),
  assignee: z.string().nullable().optional(),
  milestone: z.union([z.string(), z.number().int()]).nullable().optional(),
  labels: z.array(labelRef).optional(),
  assignees: z.array(z.string()).optional(),
});

export const commentBody = z.object({ body: z.string() });

/** GitHub's limits on the values it accepts. */
export const LIMITS = {
  issueTitle: 256,
  commentBody: 65_536,
  dispatchInputs: 25,
  dispatchPayload: 65_535,
} as const;
