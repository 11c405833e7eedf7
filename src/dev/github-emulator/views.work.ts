import type { StoredCommit } from './git.ts';
import type { StoredRepository } from './store.ts';
import type { StoredDeployment, StoredDeploymentStatus, StoredRun, StoredWorkflow } from './store.work.ts';
import { nodeId, repositoryView, time, userView } from './views.ts';

// Commits, deployments, workflows and runs as GitHub answers them (no recorded fixture covers these: the
// fields follow GitHub's OpenAPI description, which the emulator's tests check every answer against).

type Json = Record<string, unknown>;

/** A commit as `compare` lists it. */
export function commitView(api: string, repo: StoredRepository, commit: StoredCommit): Json {
  const url = `${api}/repos/${repo.fullName}/commits/${commit.sha}`;
  const user = commit.login ? userView(api, commit.login) : null;
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    commit: {
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      tree: { sha: commit.treeSha, url: `${api}/repos/${repo.fullName}/git/trees/${commit.treeSha}` },
      url: `${api}/repos/${repo.fullName}/git/commits/${commit.sha}`,
      comment_count: 0,
      verification: {
        verified: false,
        reason: 'unsigned',
        signature: null,
        payload: null,
        verified_at: null,
      },
    },
    url,
    html_url: `https://github.com/${repo.fullName}/commit/${commit.sha}`,
    comments_url: `${url}/comments`,
    author: user,
    committer: user,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/repos/${repo.fullName}/commits/${sha}`,
      html_url: `https://github.com/${repo.fullName}/commit/${sha}`,
    })),
  };
}

export function deploymentView(api: string, repo: StoredRepository, d: StoredDeployment): Json {
  const url = `${api}/repos/${repo.fullName}/deployments/${d.id}`;
  const latest = d.statuses.at(-1);
  return {
    url,
    id: d.id,
    node_id: nodeId('Deployment', d.id),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: {},
    original_environment: d.environment,
    environment: d.environment,
    description: d.description,
    creator: userView(api, d.creator),
    created_at: time(d.createdAt),
    updated_at: time(latest?.createdAt ?? d.createdAt),
    statuses_url: `${url}/statuses`,
    repository_url: `${api}/repos/${repo.fullName}`,
    transient_environment: false,
    production_environment: d.environment === 'production',
    performed_via_github_app: null,
  };
}

export function deploymentStatusView(
  api: string,
  repo: StoredRepository,
  d: StoredDeployment,
  s: StoredDeploymentStatus,
): Json {
  const deploymentUrl = `${api}/repos/${repo.fullName}/deployments/${d.id}`;
  return {
    url: `${deploymentUrl}/statuses/${s.id}`,
    id: s.id,
    node_id: nodeId('DeploymentStatus', s.id),
    state: s.state,
    creator: userView(api, d.creator),
    description: s.description,
    environment: d.environment,
    target_url: s.logUrl,
    created_at: time(s.createdAt),
    updated_at: time(s.createdAt),
    deployment_url: deploymentUrl,
    repository_url: `${api}/repos/${repo.fullName}`,
    environment_url: s.environmentUrl,
    log_url: s.logUrl,
    performed_via_github_app: null,
  };
}

export function workflowView(api: string, repo: StoredRepository, w: StoredWorkflow): Json {
  const file = w.path.split('/').pop() ?? w.path;
  return {
    id: w.id,
    node_id: nodeId('Workflow', w.id),
    name: w.name,
    path: w.path,
    state: w.state,
    created_at: time(w.createdAt),
    updated_at: time(w.createdAt),
    url: `${api}/repos/${repo.fullName}/actions/workflows/${w.id}`,
    html_url: `https://github.com/${repo.fullName}/blob/${repo.defaultBranch}/${w.path}`,
    badge_url: `https://github.com/${repo.fullName}/workflows/${encodeURIComponent(file)}/badge.svg`,
  };
}

/** A workflow run as `GET …/actions/runs` lists it. */
export function runView(
  api: string,
  repo: StoredRepository,
  run: StoredRun,
  workflow: StoredWorkflow,
  commit: StoredCommit | null,
): Json {
  const url = `${api}/repos/${repo.fullName}/actions/runs/${run.id}`;
  const repository = repositoryView(api, repo, run.createdAt);
  const actor = userView(api, run.actor);
  const person = commit ? { name: commit.author.name, email: commit.author.email } : null;
  return {
    id: run.id,
    name: workflow.name,
    node_id: nodeId('WorkflowRun', run.id),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: workflow.path,
    display_title: run.displayTitle,
    run_number: run.runNumber,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: workflow.id,
    check_suite_id: run.id + 1,
    check_suite_node_id: nodeId('CheckSuite', run.id + 1),
    url,
    html_url: `https://github.com/${repo.fullName}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: time(run.createdAt),
    updated_at: time(run.updatedAt),
    actor,
    run_attempt: 1,
    referenced_workflows: [],
    run_started_at: time(run.createdAt),
    triggering_actor: actor,
    jobs_url: `${url}/jobs`,
    logs_url: `${url}/logs`,
    check_suite_url: `${api}/repos/${repo.fullName}/check-suites/${run.id + 1}`,
    artifacts_url: `${url}/artifacts`,
    cancel_url: `${url}/cancel`,
    rerun_url: `${url}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${api}/repos/${repo.fullName}/actions/workflows/${workflow.id}`,
    head_commit: commit
      ? {
          id: commit.sha,
          tree_id: commit.treeSha,
          message: commit.message,
          timestamp: commit.committer.date,
          author: person,
          committer: person,
        }
      : null,
    repository,
    head_repository: repository,
  };
}
