import type { JqlIssue } from './jql.ts';

/** A workflow status of the fake's one workflow. */
export type JiraStatus = { id: string; name: string; category: 'new' | 'indeterminate' | 'done' };

export const STATUSES: readonly JiraStatus[] = [
  { id: '10000', name: 'To Do', category: 'new' },
  { id: '3', name: 'In Progress', category: 'indeterminate' },
  { id: '10001', name: 'Done', category: 'done' },
];
const CATEGORY_NAMES = { new: 'To Do', indeterminate: 'In Progress', done: 'Done' } as const;
/** Transition ids of the fake's workflow: one to each status, from any other. */
const TRANSITION_IDS: Record<string, string> = { 'To Do': '11', 'In Progress': '21', Done: '31' };

export type StoredComment = { id: string; body: unknown; created: Date; author: string };
export type StoredIssue = {
  id: string;
  key: string;
  project: string;
  issueType: string;
  summary: string;
  description: unknown;
  labels: string[];
  status: JiraStatus;
  created: Date;
  updated: Date;
  comments: StoredComment[];
};

/** The fake's projects, issues and comments, in memory. */
export function createJiraStore({ projects, now }: { projects: string[]; now: () => Date }) {
  const issues = new Map<string, StoredIssue>();
  const counters = new Map(projects.map((p) => [p, 0]));
  let nextId = 10_000;

  return {
    projects: () => [...counters.keys()],
    hasProject: (key: string) => counters.has(key),
    issues: () => [...issues.values()],
    get: (key: string) => issues.get(key.toUpperCase()) ?? null,
    create(fields: Pick<StoredIssue, 'project' | 'issueType' | 'summary' | 'description' | 'labels'>) {
      const n = (counters.get(fields.project) ?? 0) + 1;
      counters.set(fields.project, n);
      const at = now();
      const issue: StoredIssue = {
        ...fields,
        id: String(nextId++),
        key: `${fields.project}-${n}`,
        status: STATUSES[0] as JiraStatus,
        created: at,
        updated: at,
        comments: [],
      };
      issues.set(issue.key, issue);
      return issue;
    },
    addComment(issue: StoredIssue, body: unknown, author: string): StoredComment {
      const comment = { id: String(nextId++), body, created: now(), author };
      issue.comments.push(comment);
      issue.updated = comment.created;
      return comment;
    },
    transitionsOf(issue: StoredIssue) {
      return STATUSES.filter((s) => s.id !== issue.status.id).map((s) => ({
        id: TRANSITION_IDS[s.name] ?? s.id,
        name: s.name,
        to: statusView(s),
      }));
    },
    transition(issue: StoredIssue, id: string): boolean {
      const to = STATUSES.find((s) => TRANSITION_IDS[s.name] === id && s.id !== issue.status.id);
      if (!to) return false;
      issue.status = to;
      issue.updated = now();
      return true;
    },
  };
}
export type JiraStore = ReturnType<typeof createJiraStore>;

export function statusView(s: JiraStatus) {
  return {
    id: s.id,
    name: s.name,
    statusCategory: { key: s.category, name: CATEGORY_NAMES[s.category] },
  };
}

/** An issue as the JQL matcher sees it. */
export function jqlView(issue: StoredIssue): JqlIssue {
  return {
    key: issue.key,
    project: issue.project,
    labels: issue.labels,
    text: [
      issue.summary,
      JSON.stringify(issue.description ?? ''),
      ...issue.comments.map((c) => JSON.stringify(c.body)),
    ].join(' '),
    status: issue.status.name,
    statusCategory: CATEGORY_NAMES[issue.status.category],
    created: issue.created,
  };
}

/** An issue as `GET /issue/{key}` answers, with only the fields asked for (all navigable when none). */
export function issueView(issue: StoredIssue, base: string, fields: string[] | null) {
  const all: Record<string, unknown> = {
    summary: issue.summary,
    status: statusView(issue.status),
    labels: issue.labels,
    created: issue.created.toISOString().replace('Z', '+0000'),
    updated: issue.updated.toISOString().replace('Z', '+0000'),
    issuetype: { name: issue.issueType },
    project: { key: issue.project },
    description: issue.description ?? null,
  };
  const wanted = fields === null || fields.includes('*all') || fields.includes('*navigable') ? null : fields;
  const picked = wanted ? Object.fromEntries(Object.entries(all).filter(([k]) => wanted.includes(k))) : all;
  return { id: issue.id, key: issue.key, self: `${base}/rest/api/3/issue/${issue.id}`, fields: picked };
}
