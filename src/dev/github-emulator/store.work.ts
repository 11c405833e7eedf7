import type { StoredRepository } from './store.ts';

// Deployments, workflows and workflow runs of the fake's repositories.

export type DeploymentState =
  | 'error'
  | 'failure'
  | 'inactive'
  | 'in_progress'
  | 'queued'
  | 'pending'
  | 'success';
export type StoredDeploymentStatus = {
  id: number;
  state: DeploymentState;
  description: string;
  environmentUrl: string;
  logUrl: string;
  createdAt: Date;
};
export type StoredDeployment = {
  id: number;
  repo: string;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string | null;
  creator: string;
  createdAt: Date;
  statuses: StoredDeploymentStatus[];
};
export type DeploymentSeed = {
  repo: string;
  sha: string;
  ref: string;
  environment: string;
  task?: string;
  description?: string | null;
  creator?: string;
  createdAt?: Date;
  statuses?: { state: DeploymentState; description?: string; logUrl?: string; createdAt?: Date }[];
};

/** A `workflow_dispatch` input as the workflow file declares it. */
export type WorkflowInput = {
  required?: boolean;
  type?: 'string' | 'choice' | 'boolean' | 'number' | 'environment';
  options?: string[];
  default?: string;
};
export type StoredWorkflow = {
  id: number;
  repo: string;
  name: string;
  /** `.github/workflows/rollback.yml` */
  path: string;
  state: 'active' | 'disabled_manually';
  /** The `on:` events; `workflow_dispatch` makes it dispatchable. */
  events: string[];
  inputs: Record<string, WorkflowInput>;
  /** The `run-name:` template (`Rollback ${{ inputs.service }}`); the workflow name when absent. */
  runName: string | null;
  createdAt: Date;
};
export type WorkflowSeed = {
  repo: string;
  name: string;
  path: string;
  id?: number;
  events?: string[];
  inputs?: Record<string, WorkflowInput>;
  runName?: string;
  state?: StoredWorkflow['state'];
};
export type RunStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type StoredRun = {
  id: number;
  repo: string;
  workflowId: number;
  runNumber: number;
  displayTitle: string;
  event: string;
  status: RunStatus;
  conclusion: string | null;
  headBranch: string;
  headSha: string;
  actor: string;
  /** What `workflow_dispatch` was given, for tests. */
  inputs: Record<string, string> | null;
  createdAt: Date;
  updatedAt: Date;
};
export type RunSeed = {
  repo: string;
  /** The workflow's id or file name (`deploy.yml`). */
  workflow: number | string;
  event?: string;
  status?: RunStatus;
  conclusion?: string | null;
  headBranch?: string;
  headSha?: string;
  actor?: string;
  displayTitle?: string;
  inputs?: Record<string, string> | null;
  createdAt?: Date;
};

type Deps = { now: () => Date; newId: () => number; repoOf: (repo: string) => StoredRepository };

export function createWorkStore({ now, newId, repoOf }: Deps) {
  const deployments: StoredDeployment[] = [];
  const workflows: StoredWorkflow[] = [];
  const runs: StoredRun[] = [];
  const sameRepo = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

  function workflowOf(repo: string, idOrFile: number | string): StoredWorkflow | null {
    return (
      workflows.find(
        (w) =>
          sameRepo(w.repo, repo) &&
          (String(w.id) === String(idOrFile) || w.path.split('/').pop() === String(idOrFile)),
      ) ?? null
    );
  }

  return {
    addDeployment(seed: DeploymentSeed): StoredDeployment {
      repoOf(seed.repo);
      const createdAt = seed.createdAt ?? now();
      const deployment: StoredDeployment = {
        id: newId(),
        repo: seed.repo,
        sha: seed.sha,
        ref: seed.ref,
        task: seed.task ?? 'deploy',
        environment: seed.environment,
        description: seed.description ?? null,
        creator: seed.creator ?? 'octocat',
        createdAt,
        statuses: (seed.statuses ?? []).map((s) => ({
          id: newId(),
          state: s.state,
          description: s.description ?? '',
          environmentUrl: '',
          logUrl: s.logUrl ?? '',
          createdAt: s.createdAt ?? createdAt,
        })),
      };
      deployments.push(deployment);
      return deployment;
    },
    /** Deployments of a repository, newest first. */
    deployments: (repo: string) =>
      deployments
        .filter((d) => sameRepo(d.repo, repo))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id),
    deployment: (repo: string, id: number) =>
      deployments.find((d) => sameRepo(d.repo, repo) && d.id === id) ?? null,
    addWorkflow(seed: WorkflowSeed): StoredWorkflow {
      repoOf(seed.repo);
      const workflow: StoredWorkflow = {
        id: seed.id ?? newId(),
        repo: seed.repo,
        name: seed.name,
        path: seed.path,
        state: seed.state ?? 'active',
        events: seed.events ?? (seed.inputs ? ['workflow_dispatch'] : ['push']),
        inputs: seed.inputs ?? {},
        runName: seed.runName ?? null,
        createdAt: now(),
      };
      workflows.push(workflow);
      return workflow;
    },
    workflows: (repo: string) => workflows.filter((w) => sameRepo(w.repo, repo)),
    workflowOf,
    addRun(seed: RunSeed): StoredRun {
      const repo = repoOf(seed.repo);
      const workflow = workflowOf(seed.repo, seed.workflow);
      if (!workflow) throw new Error(`No workflow ${seed.workflow} in ${seed.repo}: add it first.`);
      const headBranch = seed.headBranch ?? repo.defaultBranch;
      const createdAt = seed.createdAt ?? now();
      // A finished run succeeded unless the seed says otherwise; an unfinished one has no conclusion yet.
      const status = seed.status ?? 'completed';
      const run: StoredRun = {
        id: newId(),
        repo: seed.repo,
        workflowId: workflow.id,
        runNumber: runs.filter((r) => r.workflowId === workflow.id).length + 1,
        displayTitle: seed.displayTitle ?? workflow.name,
        event: seed.event ?? 'push',
        status,
        conclusion:
          seed.conclusion !== undefined ? seed.conclusion : status === 'completed' ? 'success' : null,
        headBranch,
        headSha: seed.headSha ?? repo.git.resolve(headBranch)?.sha ?? '0'.repeat(40),
        actor: seed.actor ?? 'octocat',
        inputs: seed.inputs ?? null,
        createdAt,
        updatedAt: createdAt,
      };
      runs.push(run);
      return run;
    },
    /** Workflow runs of a repository (optionally of one workflow), newest first. */
    runs: (repo: string, workflowId?: number) =>
      runs
        .filter((r) => sameRepo(r.repo, repo) && (workflowId === undefined || r.workflowId === workflowId))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id),
  };
}
