// The subset of JQL the fake Jira understands: clauses joined by AND, each `field op value`, and an
// optional ORDER BY. Anything else is refused as Jira refuses a query it cannot parse (400), so a client
// that sends what real Jira would reject fails here too.

export type JqlClause = { field: string; op: '=' | '!=' | '~' | '>=' | '<='; value: string };
export type Jql = { clauses: JqlClause[]; orderBy: { field: string; direction: 'ASC' | 'DESC' } | null };
export type JqlParse = { ok: true; jql: Jql } | { ok: false; message: string };

/** Fields the fake knows, as JQL names them. */
export const JQL_FIELDS = new Set([
  'project',
  'labels',
  'text',
  'statuscategory',
  'status',
  'created',
  'key',
]);

const TOKEN = /\s*("(?:[^"\\]|\\.)*"|!=|>=|<=|=|~|\(|\)|,|[^\s"=!~<>(),]+)/y;

function tokenize(text: string): string[] | null {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const match = TOKEN.exec(text);
    if (!match?.[1]) return null;
    tokens.push(match[1]);
    at = TOKEN.lastIndex;
  }
  return tokens;
}

function unquote(token: string): string {
  return token.startsWith('"') ? token.slice(1, -1).replace(/\\(.)/g, '$1') : token;
}

/** Parses a query of the supported subset; a message like Jira's for the rest. Pure. */
export function parseJql(text: string): JqlParse {
  const tokens = tokenize(text);
  if (!tokens) return { ok: false, message: `Error in the JQL Query: the query could not be read.` };
  const clauses: JqlClause[] = [];
  let i = 0;
  const fail = (what: string): JqlParse => ({ ok: false, message: `Error in the JQL Query: ${what}` });
  while (i < tokens.length) {
    const field = tokens[i];
    if (field === undefined || /^order$/i.test(field)) break;
    if (field === '(' || field === ')')
      return fail(`parentheses are not supported by this fake (at '${field}').`);
    const op = tokens[i + 1];
    const value = tokens[i + 2];
    if (!JQL_FIELDS.has(field.toLowerCase()))
      return {
        ok: false,
        message: `Field '${field}' does not exist or you do not have permission to view it.`,
      };
    if (op === undefined || !['=', '!=', '~', '>=', '<='].includes(op))
      return fail(`Expecting operator but got '${op ?? 'end of query'}'.`);
    if (value === undefined || ['(', ')', ','].includes(value))
      return fail(`Expecting either a value or a function but got '${value ?? 'end of query'}'.`);
    clauses.push({ field: field.toLowerCase(), op: op as JqlClause['op'], value: unquote(value) });
    i += 3;
    const next = tokens[i];
    if (next === undefined || /^order$/i.test(next)) break;
    if (!/^and$/i.test(next)) return fail(`Expecting 'AND' or 'ORDER BY' but got '${next}'.`);
    i += 1;
  }
  let orderBy: Jql['orderBy'] = null;
  if (i < tokens.length) {
    const [order, by, field, direction, ...rest] = tokens.slice(i);
    if (!/^order$/i.test(order ?? '') || !/^by$/i.test(by ?? '') || !field || rest.length > 0)
      return fail(`Expecting 'ORDER BY <field> [ASC|DESC]'.`);
    const dir = (direction ?? 'ASC').toUpperCase();
    if (dir !== 'ASC' && dir !== 'DESC') return fail(`Expecting 'ASC' or 'DESC' but got '${direction}'.`);
    orderBy = { field: field.toLowerCase(), direction: dir };
  }
  return { ok: true, jql: { clauses, orderBy } };
}

/** What a clause is compared against in one issue. */
export type JqlIssue = {
  key: string;
  project: string;
  labels: string[];
  text: string;
  status: string;
  statusCategory: string;
  created: Date;
};

/** Whether an issue matches every clause, at `now` (for relative dates like `-7d`). Pure. */
export function matchesJql(issue: JqlIssue, jql: Jql, now: Date): boolean {
  return jql.clauses.every((c) => matchesClause(issue, c, now));
}

function matchesClause(issue: JqlIssue, { field, op, value }: JqlClause, now: Date): boolean {
  const eq = (a: string) => a.toLowerCase() === value.toLowerCase();
  const positive = (hit: boolean) => (op === '!=' ? !hit : hit);
  switch (field) {
    case 'project':
      return positive(eq(issue.project));
    case 'key':
      return positive(eq(issue.key));
    case 'labels':
      return positive(issue.labels.includes(value));
    case 'status':
      return positive(eq(issue.status));
    case 'statuscategory':
      return positive(eq(issue.statusCategory));
    case 'text':
      return value
        .toLowerCase()
        .split(/\s+/)
        .every((word) => issue.text.toLowerCase().includes(word));
    case 'created': {
      const days = /^-(\d+)d$/.exec(value)?.[1];
      const at = days ? new Date(now.getTime() - Number(days) * 86_400_000) : new Date(value);
      return op === '>=' ? issue.created >= at : issue.created <= at;
    }
    default:
      return false;
  }
}
