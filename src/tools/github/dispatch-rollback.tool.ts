import { z } from 'zod';
import type { GitHubEnvironmentSpec } from '../../catalog/catalog.github.schemas.ts';
import { wardenError } from '../../shared/errors.ts';
import { keyedQueue } from '../../shared/keyed-queue.ts';
import type { GitHubSession } from '../../systems/github.access.ts';
import { type GitHubWorkflowRun, workflowRunsSchema } from '../../systems/github.schemas.ts';
import { catalogServiceSchema } from '../catalog.calls.ts';
import type { ToolResult } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { githubTool } from './github.calls.ts';

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service to roll back, such as checkout.'),
  inputs: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,99}$/, 'must be a workflow input name'),
      z.string().max(200),
    )
    .refine((i) => Object.keys(i).length <= 10, 'must set at most 10 inputs')
    .default({})
    .describe(
      "The rollback workflow's inputs, such as { version: 'v2.13.4' }: only those the catalog lists.",
    ),
});
type DispatchArgs = z.infer<typeof input>;
type RollbackWorkflow = NonNullable<GitHubEnvironmentSpec['rollback_workflow']>;

/** How far back the lookup for the run of an earlier attempt reads. */
const LOOKUP_WINDOW_MS = 24 * 3600_000;

/** Dispatches the repository's own rollback workflow, with inputs the catalog lists and the charter bounds. */
export const dispatchRollbackWorkflowInfo = {
  name: 'dispatch_rollback_workflow',
  description:
    "Run a service's own GitHub Actions rollback workflow (workflow_dispatch) in the target environment's repository, with its inputs (such as the version to roll back to). Only the inputs the service catalog lists can be set.",
  input,
  kind: 'write',
  risk: 'high',
  reversible: false,
  idempotent: true,
} as const;

/**
 * Builds dispatch_rollback_workflow. The workflow, its ref and its input names come from the catalog;
 * the values come from the proposal, bounded by the charter's constraints on `inputs.<name>`. The
 * proposal's idempotency key is sent as one more input, which the workflow's `run-name` shows, so an
 * earlier attempt's run is found before dispatching again. GitHub answers a dispatch with no run id and
 * creates the run a few seconds later: `verify` says "unknown", never "absent", while no run shows the key.
 */
export function createDispatchRollbackWorkflowTool(deps: ToolDeps) {
  const oneAtATime = keyedQueue();
  const since = () => new Date(deps.clock.now().getTime() - LOOKUP_WINDOW_MS);
  return githubTool({
    info: dispatchRollbackWorkflowInfo,
    deps,
    permissions: { actions: 'write' },
    verifyPermissions: { actions: 'read' },
    verify: async ({ context, target, repository, github }) => {
      const workflow = rollbackWorkflowOf({
        repository,
        service: target.service,
        environment: target.environment,
      });
      const run = await findRun({ github, workflow, key: context.idempotencyKey, since: since() });
      return run
        ? { effect: 'present', result: dispatched({ github, workflow, run, inputs: {}, created: false }) }
        : {
            effect: 'unknown',
            summary: `No run of ${workflow.file} shows this proposal's key yet; GitHub creates a dispatched run within seconds, so check Actions before retrying.`,
          };
    },
    run: ({ args, context, target, repository, github }) =>
      oneAtATime(context.idempotencyKey, async () => {
        const workflow = rollbackWorkflowOf({
          repository,
          service: target.service,
          environment: target.environment,
        });
        const inputs = checkedInputs({ args, workflow });
        const key = context.idempotencyKey;
        const earlier = await findRun({ github, workflow, key, since: since() });
        if (earlier) return dispatched({ github, workflow, run: earlier, inputs, created: false });
        await github.call(
          'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
          { workflow_id: workflow.file, ref: workflow.ref, inputs: { ...inputs, [workflow.key_input]: key } },
          z.unknown(),
        );
        const run = await findRun({ github, workflow, key, since: since() });
        return dispatched({ github, workflow, run, inputs, created: true });
      }),
  });
}

function rollbackWorkflowOf({
  repository,
  service,
  environment,
}: {
  repository: GitHubEnvironmentSpec;
  service: string;
  environment: string;
}): RollbackWorkflow {
  if (repository.rollback_workflow) return repository.rollback_workflow;
  throw wardenError({
    code: 'catalog.no_system',
    message: `The service catalog names no rollback workflow for ${service} in ${environment} (github.rollback_workflow).`,
    details: { service, environment, system: 'github' },
  });
}

/** The inputs to send: only names the catalog lists, never the key's own input. */
function checkedInputs({ args, workflow }: { args: DispatchArgs; workflow: RollbackWorkflow }) {
  const allowed = new Set(workflow.inputs);
  const refused = Object.keys(args.inputs).filter(
    (name) => !allowed.has(name) || name === workflow.key_input,
  );
  if (refused.length > 0)
    throw wardenError({
      code: 'tools.invalid_input',
      message: `${workflow.file} takes only ${workflow.inputs.length ? workflow.inputs.join(', ') : 'no inputs'} from a proposal, not ${refused.join(', ')}.`,
      details: { refused },
    });
  return args.inputs;
}

async function findRun({
  github,
  workflow,
  key,
  since,
}: {
  github: GitHubSession;
  workflow: RollbackWorkflow;
  key: string;
  since: Date;
}): Promise<GitHubWorkflowRun | null> {
  const found = await github.call(
    'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
    {
      workflow_id: workflow.file,
      event: 'workflow_dispatch',
      created: `>=${since.toISOString()}`,
      per_page: 50,
    },
    workflowRunsSchema,
  );
  return found.workflow_runs.find((r) => r.display_title.includes(key)) ?? null;
}

function dispatched({
  github,
  workflow,
  run,
  inputs,
  created,
}: {
  github: GitHubSession;
  workflow: RollbackWorkflow;
  run: GitHubWorkflowRun | null;
  inputs: Record<string, string>;
  created: boolean;
}): ToolResult {
  const given = Object.entries(inputs)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  const where = `${workflow.file} on ${workflow.ref} in ${github.owner}/${github.repo}`;
  return {
    summary: `${created ? 'Dispatched' : 'Already dispatched'} ${where}${given ? ` with ${given}` : ''}${run ? ` (run #${run.run_number}, ${run.status ?? 'queued'})` : ''}`,
    data: {
      repository: `${github.owner}/${github.repo}`,
      workflow: workflow.file,
      ref: workflow.ref,
      inputs,
      run: run ? { id: run.id, number: run.run_number, status: run.status, url: run.html_url } : null,
      created,
    },
  };
}

/** dispatch_rollback_workflow's entry in the tool catalog. */
export const dispatchRollbackWorkflowTool = toolSpec({
  info: dispatchRollbackWorkflowInfo,
  system: 'github',
  worlds: ['catalog'],
  build: createDispatchRollbackWorkflowTool,
});
