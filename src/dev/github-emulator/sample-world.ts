import { generateKeyPairSync } from 'node:crypto';
import { createGitHubEmulator, type GitHubEmulator, type GitHubEmulatorOptions } from './server.ts';
import type { Permissions } from './store.ts';

// A small, realistic world for tests and local mode: the app `warden-test` installed on `acme` with two
// repositories, tagged releases, deployments, a rollback workflow with inputs, and labelled issues.

export const SAMPLE = {
  appId: 12345,
  slug: 'warden-test',
  installationId: 4242,
  account: 'acme',
  repositories: ['acme/checkout', 'acme/payments'],
  permissions: {
    metadata: 'read',
    contents: 'read',
    deployments: 'read',
    actions: 'write',
    issues: 'write',
  } satisfies Permissions,
  /** The `run-name:` of acme/checkout's rollback.yml. */
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template.
  rollbackRunName: 'Rollback ${{ inputs.service }} to ${{ inputs.version }}',
} as const;

/** A fresh RSA key pair for the app (PKCS#1 private key, as GitHub hands them out; SPKI public key). */
export function generateAppKeys(): { privateKey: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const at = (iso: string) => new Date(iso);

/** Seeds the sample world into a started or unstarted emulator. */
export function seedSampleWorld(gh: GitHubEmulator): void {
  const { store } = gh;
  const repo = 'acme/checkout';
  store.addCommits({
    repo,
    commits: [{ message: 'Add checkout service', date: '2026-11-30T09:00:00Z', login: 'ana' }],
  });
  store.addRef({ repo, name: 'v1.4.0', ref: 'main' });
  const release = store.addCommits({
    repo,
    commits: [
      { message: 'Retry payment authorisation once', date: '2026-12-02T10:00:00Z', login: 'ana' },
      { message: 'Cache exchange rates for 60 s', date: '2026-12-03T11:00:00Z', login: 'ben' },
      { message: 'Raise connection pool to 40', date: '2026-12-04T12:00:00Z' },
    ],
  });
  store.addRef({ repo, name: 'v1.5.0', ref: 'main' });
  const [previous, current] = [store.repository(repo)?.git.resolve('v1.4.0'), release.at(-1)];
  for (const [environment, sha, ref, day] of [
    ['production', previous?.sha ?? '', 'v1.4.0', '2026-12-01'],
    ['staging', current?.sha ?? '', 'v1.5.0', '2026-12-04'],
    ['production', current?.sha ?? '', 'v1.5.0', '2026-12-05'],
  ] as const)
    store.addDeployment({
      repo,
      environment,
      sha,
      ref,
      createdAt: at(`${day}T13:00:00Z`),
      statuses: [
        { state: 'in_progress', createdAt: at(`${day}T13:00:10Z`) },
        { state: 'success', createdAt: at(`${day}T13:04:00Z`), logUrl: `https://ci.acme.example/${day}` },
      ],
    });
  store.addWorkflow({
    repo,
    id: 161335,
    name: 'Deploy',
    path: '.github/workflows/deploy.yml',
    events: ['push'],
  });
  store.addWorkflow({
    repo,
    id: 161336,
    name: 'Rollback',
    path: '.github/workflows/rollback.yml',
    events: ['workflow_dispatch'],
    inputs: {
      service: { required: true, type: 'choice', options: ['checkout', 'payments'] },
      version: { required: true, type: 'string' },
      reason: { required: false, type: 'string', default: 'incident' },
    },
    runName: SAMPLE.rollbackRunName,
  });
  for (const [day, conclusion] of [
    ['2026-12-03', 'success'],
    ['2026-12-04', 'failure'],
    ['2026-12-05', 'success'],
  ] as const)
    store.addRun({
      repo,
      workflow: 'deploy.yml',
      event: 'push',
      conclusion,
      createdAt: at(`${day}T12:30:00Z`),
    });
  const issues: [string, string[], 'open' | 'closed'][] = [
    ['Checkout p99 latency above 2 s', ['incident', 'sev2'], 'open'],
    ['Payment retries double-charge', ['incident', 'sev1'], 'closed'],
    ['Rotate the Stripe key', ['chore'], 'open'],
    ['Error budget burn on /pay', ['incident'], 'open'],
  ];
  issues.forEach(([title, labels, state], i) => {
    store.addIssue({ repo, title, labels, state, user: 'ana', createdAt: at(`2026-12-0${i + 1}T08:00:00Z`) });
  });
  store.addIssue({ repo: 'acme/payments', title: 'Settlement job slow', labels: ['incident'], user: 'ben' });
}

/** Starts an emulator with the sample app, installation and world; returns it with the app's private key. */
export async function startSampleGitHub(
  options: Pick<GitHubEmulatorOptions, 'rateLimit' | 'now'> = {},
): Promise<{ gh: GitHubEmulator; privateKey: string }> {
  const { privateKey, publicKeyPem } = generateAppKeys();
  const gh = createGitHubEmulator({
    ...options,
    apps: [{ id: SAMPLE.appId, slug: SAMPLE.slug, name: 'Warden (test)', publicKeyPem }],
    installations: [
      {
        id: SAMPLE.installationId,
        appId: SAMPLE.appId,
        account: SAMPLE.account,
        repositories: [...SAMPLE.repositories],
        permissions: { ...SAMPLE.permissions },
      },
    ],
  });
  seedSampleWorld(gh);
  await gh.start();
  return { gh, privateKey };
}
