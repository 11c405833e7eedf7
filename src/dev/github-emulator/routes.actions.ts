import { type Answer, failure, notFound, paginate, parseBody } from './answers.ts';
import { type RepoContext, type Route, repoPath } from './route.ts';
import type { StoredRun, StoredWorkflow } from './store.work.ts';
import { dispatchBody, LIMITS } from './validate.ts';
import { botLogin } from './views.ts';
import { runView, workflowView } from './views.work.ts';
import { dispatchInputsProblem } from './workflow-inputs.ts';

// GitHub Actions: workflows, their runs, and `workflow_dispatch`.

const DAY_MS = 86_400_000;
const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s);
const parseTime = (s: string) => Date.parse(isDate(s) ? `${s}T00:00:00Z` : s);

/** GitHub's `created` filter: `>=T`, `<=T`, `>T`, `<T`, `A..B`, or a date (that whole day). */
export function matchesCreated(filter: string, at: Date): boolean {
  const t = at.getTime();
  const range = /^(.+)\.\.(.+)$/.exec(filter);
  if (range) {
    const [from, to] = [range[1] ?? '', range[2] ?? ''];
    // A date as the upper bound includes that whole day.
    return t >= parseTime(from) && t < parseTime(to) + (isDate(to) ? DAY_MS : 1);
  }
  const op = /^(>=|<=|>|<)(.+)$/.exec(filter);
  if (op) {
    const bound = parseTime(op[2] ?? '');
    if (op[1] === '>=') return t >= bound;
    if (op[1] === '<=') return t <= bound;
    return op[1] === '>' ? t > bound : t < bound;
  }
  return isDate(filter) ? t >= parseTime(filter) && t < parseTime(filter) + DAY_MS : t === parseTime(filter);
}

function listRuns(c: RepoContext, workflowId?: number): Answer {
  const { api, path, repo, store, query } = c;
  const q = (name: string) => query.get(name);
  const found = store
    .runs(repo.fullName, workflowId)
    .filter(
      (r) =>
        (q('event') === null || r.event === q('event')) &&
        (q('status') === null || r.status === q('status') || r.conclusion === q('status')) &&
        (q('branch') === null || r.headBranch === q('branch')) &&
        (q('actor') === null || r.actor === q('actor')) &&
        (q('head_sha') === null || r.headSha === q('head_sha')) &&
        (q('created') === null || matchesCreated(q('created') ?? '', r.createdAt)),
    );
  const { page, headers } = paginate({ items: found, query, url: `${api}${path}` });
  const view = (run: StoredRun) => {
    const workflow = store.workflows(repo.fullName).find((w) => w.id === run.workflowId) as StoredWorkflow;
    return runView(api, repo, run, workflow, repo.git.resolve(run.headSha));
  };
  return { status: 200, headers, body: { total_count: found.length, workflow_runs: page.map(view) } };
}

/** `run-name:` with `${{ inputs.x }}` (and a few `github.*` values) filled in, as Actions renders it. */
export function renderRunName(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
    const input = /^(?:github\.event\.)?inputs\.([A-Za-z0-9_-]+)$/.exec(expression);
    return input
      ? (values[input[1] ?? ''] ?? '')
      : (values[`github.${expression.replace(/^github\./, '')}`] ?? '');
  });
}

function dispatch(c: RepoContext): Answer {
  const { repo, store, params, body, api, app } = c;
  const workflow = store.workflowOf(repo.fullName, params[2] ?? '');
  if (!workflow) return notFound();
  const request = parseBody(dispatchBody, body);
  if (!request.ok) return request.answer;
  const { ref, inputs = {}, return_run_details: details } = request.value;
  if (!workflow.events.includes('workflow_dispatch'))
    return failure(422, "Workflow does not have 'workflow_dispatch' trigger");
  const branch = ref.replace(/^refs\/(heads|tags)\//, '');
  const target = repo.git.branches.has(branch) || repo.git.tags.has(branch) ? repo.git.resolve(branch) : null;
  if (!target) return failure(422, `No ref found for: ${ref}`);
  const given = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, String(v)]));
  if (Object.keys(given).length > LIMITS.dispatchInputs)
    return failure(
      422,
      `you may only define up to ${LIMITS.dispatchInputs} \`inputs\` for a \`workflow_dispatch\` event`,
    );
  if (JSON.stringify(given).length > LIMITS.dispatchPayload)
    return failure(
      422,
      `inputs are too large: the payload may be at most ${LIMITS.dispatchPayload} characters`,
    );
  const problem = dispatchInputsProblem(workflow.inputs, given);
  if (problem) return failure(422, problem);
  const values = Object.fromEntries(
    Object.entries(workflow.inputs).map(([name, input]) => [name, given[name] ?? input.default ?? '']),
  );
  const actor = botLogin(app.slug);
  const run = store.addRun({
    repo: repo.fullName,
    workflow: workflow.id,
    event: 'workflow_dispatch',
    status: 'queued',
    conclusion: null,
    headBranch: branch,
    headSha: target.sha,
    actor,
    inputs: values,
    displayTitle: renderRunName(workflow.runName ?? workflow.name, {
      ...values,
      'github.actor': actor,
      'github.ref_name': branch,
      'github.event_name': 'workflow_dispatch',
    }),
  });
  if (!details) return { status: 204 };
  return {
    status: 200,
    body: {
      workflow_run_id: run.id,
      run_url: `${api}/repos/${repo.fullName}/actions/runs/${run.id}`,
      html_url: `https://github.com/${repo.fullName}/actions/runs/${run.id}`,
    },
  };
}

export const ACTIONS_ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: repoPath('/actions/runs'),
    auth: 'repo',
    permission: ['actions', 'read'],
    handle: (c) => listRuns(c),
  },
  {
    method: 'GET',
    pattern: repoPath('/actions/workflows/([^/]+)/runs'),
    auth: 'repo',
    permission: ['actions', 'read'],
    handle: (c) => {
      const workflow = c.store.workflowOf(c.repo.fullName, c.params[2] ?? '');
      return workflow ? listRuns(c, workflow.id) : notFound();
    },
  },
  {
    method: 'GET',
    pattern: repoPath('/actions/workflows/([^/]+)'),
    auth: 'repo',
    permission: ['actions', 'read'],
    handle: ({ api, repo, store, params }) => {
      const workflow = store.workflowOf(repo.fullName, params[2] ?? '');
      return workflow ? { status: 200, body: workflowView(api, repo, workflow) } : notFound();
    },
  },
  {
    method: 'POST',
    pattern: repoPath('/actions/workflows/([^/]+)/dispatches'),
    auth: 'repo',
    permission: ['actions', 'write'],
    handle: dispatch,
  },
];
