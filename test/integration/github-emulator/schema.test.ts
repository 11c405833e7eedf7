import { createRequire } from 'node:module';
import { Octokit } from '@octokit/rest';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubEmulator, SAMPLE, startSampleGitHub } from '../../../src/dev/github-emulator/index.ts';
import subset from '../../../src/dev/github-emulator/openapi-subset.json' with { type: 'json' };
import { log, sampleOctokit } from './github-emulator.helpers.ts';

// Every answer the fake gives a real Octokit, checked against GitHub's own OpenAPI description (the subset
// `scripts/github-openapi-subset.mjs` extracts), so the fake cannot drift from what GitHub documents.

const repo = { owner: 'acme', repo: 'checkout' };
type Seen = { endpoint: string; status: number; data: unknown };

const ajv = new Ajv({ strict: false, allErrors: true });
try {
  // ajv-formats comes with the toolchain (not a declared dependency): check formats when it is there.
  const require = createRequire(import.meta.url);
  const formats = require('ajv-formats') as { default: (a: Ajv) => void };
  formats.default(ajv);
} catch {
  // Without it, `format` is not checked; the shapes still are.
}
// GitHub documents deployment statuses' `target_url`, `log_url` and `environment_url` as URIs defaulting to
// "" and answers "" when none was given: the one place its answers break its own `format`.
ajv.addFormat('uri', (value: string) => value === '' || URL.canParse(value));
ajv.addSchema(subset);

const pointer = (endpoint: string, status: number) =>
  `${subset.$id}#/endpoints/${encodeURIComponent(endpoint.replaceAll('~', '~0').replaceAll('/', '~1'))}/responses/${status}`;

/** The subset's `METHOD /template` for a concrete request, or null for a path the subset does not know. */
const templates = Object.keys(subset.endpoints).map((endpoint) => {
  const [method, path] = endpoint.split(' ') as [string, string];
  const pattern = path.replace(/\{basehead\}/, '.+').replace(/\{[^}]+\}/g, '[^/]+');
  return { endpoint, method, regex: new RegExp(`^${pattern}$`) };
});
const endpointOf = (method: string, url: string) => {
  const path = new URL(url).pathname;
  return templates.find((t) => t.method === method && t.regex.test(path))?.endpoint ?? null;
};

describe('the GitHub emulator: answers fit GitHub’s OpenAPI schemas', () => {
  let gh: GitHubEmulator;
  let octokit: Octokit;
  const seen: Seen[] = [];
  const record = (client: Octokit) =>
    client.hook.after('request', (response, options) => {
      const endpoint = endpointOf(String(options.method), response.url);
      // A copy: Octokit's paginate later strips `total_count` from the answer it got.
      if (endpoint) seen.push({ endpoint, status: response.status, data: structuredClone(response.data) });
    });

  beforeAll(async () => {
    const started = await startSampleGitHub();
    gh = started.gh;
    octokit = sampleOctokit({ url: gh.url, privateKey: started.privateKey });
    record(octokit);
  });
  afterAll(() => gh?.close());

  it('drives every endpoint with Octokit, pages included, and validates each answer', async () => {
    await octokit.rest.apps.getAuthenticated();
    await octokit.rest.apps.getRepoInstallation(repo);
    const minted = await octokit.rest.apps.createInstallationAccessToken({
      installation_id: SAMPLE.installationId,
      repositories: ['checkout', 'payments'],
    });
    await octokit.rest.repos.get(repo);
    const deployments = await octokit.paginate(octokit.rest.repos.listDeployments, { ...repo, per_page: 1 });
    await octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: deployments[0]?.id ?? 0 });
    await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: 'v1.4.0...v1.5.0' });
    await octokit.rest.actions.getWorkflow({ ...repo, workflow_id: 'rollback.yml' });
    await octokit.rest.actions.createWorkflowDispatch({
      ...repo,
      workflow_id: 'rollback.yml',
      ref: 'main',
      inputs: { service: 'payments', version: 'v2.0.1' },
    });
    await octokit.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
      ...repo,
      workflow_id: 161336,
      ref: 'main',
      inputs: { service: 'checkout', version: 'v1.4.0' },
      return_run_details: true,
    });
    await octokit.paginate(octokit.rest.actions.listWorkflowRunsForRepo, { ...repo, per_page: 2 });
    await octokit.paginate(octokit.rest.actions.listWorkflowRuns, {
      ...repo,
      workflow_id: 'rollback.yml',
      per_page: 1,
    });
    const issue = await octokit.rest.issues.create({
      ...repo,
      title: 'Checkout rolled back',
      labels: ['incident'],
    });
    await octokit.rest.issues.get({ ...repo, issue_number: issue.data.number });
    await octokit.paginate(octokit.rest.issues.listForRepo, { ...repo, state: 'all', per_page: 2 });
    await octokit.rest.issues.createComment({ ...repo, issue_number: issue.data.number, body: 'Done.' });
    await octokit.rest.issues.createComment({ ...repo, issue_number: issue.data.number, body: 'Verified.' });
    await octokit.paginate(octokit.rest.issues.listComments, {
      ...repo,
      issue_number: issue.data.number,
      per_page: 1,
    });
    const byToken = new Octokit({ baseUrl: gh.url, auth: minted.data.token, log });
    record(byToken);
    await byToken.rest.apps.revokeInstallationAccessToken();

    const problems: string[] = [];
    for (const { endpoint, status, data } of seen) {
      if (status === 204) {
        if (data) problems.push(`${endpoint} 204 with a body`);
        continue;
      }
      const validate = ajv.getSchema(pointer(endpoint, status)) as ValidateFunction | undefined;
      if (!validate) {
        problems.push(`${endpoint} answered ${status}, which GitHub does not document`);
        continue;
      }
      if (!validate(data))
        problems.push(`${endpoint} ${status}: ${ajv.errorsText(validate.errors, { separator: '\n  ' })}`);
    }
    expect(problems).toEqual([]);
    expect(new Set(seen.map((s) => s.endpoint))).toEqual(new Set(Object.keys(subset.endpoints)));
    // Pages were followed: more than one answer for the paginated lists.
    const count = (endpoint: string) => seen.filter((s) => s.endpoint === endpoint).length;
    expect(count('GET /repos/{owner}/{repo}/issues')).toBeGreaterThan(1);
    expect(count('GET /repos/{owner}/{repo}/deployments')).toBeGreaterThan(1);
    expect(count('GET /repos/{owner}/{repo}/actions/runs')).toBeGreaterThan(1);
  });

  it('the subset is small and describes exactly the served endpoints', () => {
    expect(JSON.stringify(subset).length).toBeLessThan(200_000);
    expect(Object.keys(subset.endpoints)).toHaveLength(17);
  });
});
