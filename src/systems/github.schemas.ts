import { z } from 'zod';

// The parts of GitHub's REST answers (API version 2022-11-28) that Warden reads. Loose objects: GitHub
// adds fields often, and an answer missing one of these is reported as a bad response, not guessed at.

const login = z.looseObject({ login: z.string() }).nullable();

export const installationTokenSchema = z.looseObject({
  token: z.string().min(1),
  expires_at: z.string(),
  permissions: z.record(z.string(), z.string()).optional(),
  repositories: z.array(z.looseObject({ full_name: z.string() })).optional(),
});

export const appSchema = z.looseObject({
  id: z.number(),
  slug: z.string().optional(),
  name: z.string(),
  permissions: z.record(z.string(), z.string()).optional(),
});

export const installationSchema = z.looseObject({ id: z.number() });

export const deploymentSchema = z.looseObject({
  id: z.number(),
  sha: z.string(),
  ref: z.string(),
  environment: z.string(),
  description: z.string().nullable().optional(),
  creator: login,
  created_at: z.string(),
});
export type GitHubDeployment = z.infer<typeof deploymentSchema>;

export const deploymentStatusSchema = z.looseObject({
  state: z.string(),
  description: z.string().nullable().optional(),
  created_at: z.string(),
});

const commitSchema = z.looseObject({
  sha: z.string(),
  html_url: z.string(),
  author: login,
  commit: z.looseObject({
    message: z.string(),
    author: z.looseObject({ name: z.string().optional(), date: z.string().optional() }).nullable(),
  }),
});

export const comparisonSchema = z.looseObject({
  status: z.string(),
  ahead_by: z.number(),
  behind_by: z.number(),
  total_commits: z.number(),
  html_url: z.string(),
  commits: z.array(commitSchema),
});
export type GitHubComparison = z.infer<typeof comparisonSchema>;

export const workflowRunSchema = z.looseObject({
  id: z.number(),
  name: z.string().nullable().optional(),
  display_title: z.string(),
  event: z.string(),
  status: z.string().nullable(),
  conclusion: z.string().nullable(),
  head_branch: z.string().nullable(),
  head_sha: z.string(),
  run_number: z.number(),
  html_url: z.string(),
  created_at: z.string(),
  actor: login.optional(),
});
export type GitHubWorkflowRun = z.infer<typeof workflowRunSchema>;

export const workflowRunsSchema = z.looseObject({
  total_count: z.number(),
  workflow_runs: z.array(workflowRunSchema),
});

export const issueSchema = z.looseObject({
  id: z.number(),
  number: z.number(),
  title: z.string(),
  body: z.string().nullable().optional(),
  state: z.string(),
  html_url: z.string(),
  created_at: z.string(),
  labels: z.array(z.union([z.string(), z.looseObject({ name: z.string().optional() })])),
  pull_request: z.unknown().optional(),
});
export type GitHubIssue = z.infer<typeof issueSchema>;

export const commentSchema = z.looseObject({
  id: z.number(),
  body: z.string().optional(),
  html_url: z.string(),
  created_at: z.string(),
});
export type GitHubComment = z.infer<typeof commentSchema>;
