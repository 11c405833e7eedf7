import { z } from 'zod';

// What Warden reads from Jira Cloud's REST API v3: only the fields the tools use, the rest passed through.

/** An Atlassian Document Format node; Warden reads its text and never renders it. */
export type AdfNode = { type: string; text?: string; content?: AdfNode[] };
export const adfSchema: z.ZodType<AdfNode> = z.lazy(() =>
  z.looseObject({
    type: z.string(),
    text: z.string().optional(),
    content: z.array(adfSchema).optional(),
  }),
);

const statusSchema = z.looseObject({
  name: z.string(),
  statusCategory: z.looseObject({ key: z.string(), name: z.string().optional() }).optional(),
});

export const issueSchema = z.looseObject({
  id: z.string(),
  key: z.string(),
  fields: z.looseObject({
    summary: z.string().optional(),
    status: statusSchema.optional(),
    labels: z.array(z.string()).optional(),
    created: z.string().optional(),
    updated: z.string().optional(),
    issuetype: z.looseObject({ name: z.string() }).optional(),
    project: z.looseObject({ key: z.string() }).optional(),
    description: adfSchema.nullable().optional(),
  }),
});
export type JiraIssue = z.infer<typeof issueSchema>;

export const searchAnswerSchema = z.looseObject({
  issues: z.array(issueSchema),
  nextPageToken: z.string().nullable().optional(),
  isLast: z.boolean().optional(),
});

export const createdIssueSchema = z.looseObject({ id: z.string(), key: z.string() });

export const commentSchema = z.looseObject({
  id: z.string(),
  body: adfSchema.optional(),
  created: z.string().optional(),
  author: z.looseObject({ displayName: z.string().optional() }).optional(),
});
export type JiraComment = z.infer<typeof commentSchema>;
export const commentsAnswerSchema = z.looseObject({
  comments: z.array(commentSchema),
  total: z.number().optional(),
});

export const transitionsAnswerSchema = z.looseObject({
  transitions: z.array(z.looseObject({ id: z.string(), name: z.string(), to: statusSchema })),
});
export type JiraTransition = z.infer<typeof transitionsAnswerSchema>['transitions'][number];

export const myselfSchema = z.looseObject({
  accountId: z.string(),
  displayName: z.string().optional(),
  active: z.boolean().optional(),
});

export const serverInfoSchema = z.looseObject({
  baseUrl: z.string(),
  version: z.string().optional(),
  deploymentType: z.string().optional(),
});

/** The text of an ADF document: paragraphs and other blocks on their own lines. Pure. */
export function adfText(node: AdfNode | null | undefined): string {
  if (!node) return '';
  if (node.type === 'text') return node.text ?? '';
  if (node.type === 'hardBreak') return '\n';
  const inner = (node.content ?? []).map(adfText);
  const block = ['doc', 'bulletList', 'orderedList'].includes(node.type);
  return block ? inner.join('\n') : inner.join('');
}

/** Plain text as an ADF document: one paragraph per line. Pure. */
export function textToAdf(text: string): AdfNode & { version: 1 } {
  const lines = text.split(/\r?\n/);
  return {
    type: 'doc',
    version: 1,
    content: lines.map((line) => ({
      type: 'paragraph',
      ...(line ? { content: [{ type: 'text', text: line }] } : {}),
    })),
  };
}
