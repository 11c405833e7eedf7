import { z } from 'zod';

// Request bodies as Jira Cloud's REST API v3 accepts them (the parts the fake serves). A body that does
// not fit is answered 400 with Jira's error shape, naming the field.

/** An Atlassian Document Format document: what v3 requires for descriptions and comments. */
const adfNode: z.ZodType<unknown> = z.lazy(() =>
  z.looseObject({ type: z.string(), text: z.string().optional(), content: z.array(adfNode).optional() }),
);
export const adfDocument = z.looseObject({
  type: z.literal('doc'),
  version: z.literal(1),
  content: z.array(adfNode),
});

export const createIssueBody = z.looseObject({
  fields: z.looseObject({
    project: z.union([z.strictObject({ key: z.string() }), z.strictObject({ id: z.string() })]),
    issuetype: z.union([z.strictObject({ name: z.string() }), z.strictObject({ id: z.string() })]),
    summary: z
      .string()
      .min(1, 'You must specify a summary of the issue.')
      .max(255, 'Summary must be less than 255 characters.'),
    description: adfDocument.optional(),
    labels: z.array(z.string().regex(/^\S{1,255}$/, 'The label must not contain spaces.')).optional(),
  }),
});

export const searchBody = z.looseObject({
  jql: z.string().max(10_000),
  maxResults: z.number().int().min(0).max(5_000).optional(),
  fields: z.array(z.string()).optional(),
  nextPageToken: z.string().optional(),
});

export const addCommentBody = z.looseObject({ body: adfDocument });

export const transitionBody = z.looseObject({ transition: z.looseObject({ id: z.string() }) });

/** The first problem of a failed parse, as Jira's `errors` map (`{ "summary": "..." }`). */
export function errorsOf(error: z.ZodError): Record<string, string> {
  const issue = error.issues[0];
  const path = issue?.path.filter((p) => p !== 'fields').join('.') || 'body';
  const message =
    issue?.path.includes('description') || path === 'body.content' || path === 'body'
      ? 'Operation value must be an Atlassian Document (see the Atlassian Document Format).'
      : (issue?.message ?? 'invalid');
  return { [path]: message };
}
