import { createSign } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GitHubEmulator,
  generateAppKeys,
  SAMPLE,
  startSampleGitHub,
} from '../../../src/dev/github-emulator/index.ts';
import { log, refusal, sampleOctokit } from './github-emulator.helpers.ts';

/** A JWT as an app signs it, with claims the test chooses. */
function signJwt(privateKey: string, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url');
  return `${unsigned}.${signature}`;
}
const seconds = () => Math.floor(Date.now() / 1000);

describe('the GitHub emulator: app JWTs and installation tokens', () => {
  let gh: GitHubEmulator;
  let privateKey: string;
  let app: Octokit;
  beforeAll(async () => {
    ({ gh, privateKey } = await startSampleGitHub());
    app = sampleOctokit({ url: gh.url, privateKey });
  });
  afterAll(() => gh?.close());

  const withToken = (token: string) => new Octokit({ baseUrl: gh.url, auth: token, log });
  const installationToken = async (options: {
    repositoryNames?: string[];
    permissions?: Record<string, string>;
  }) => {
    const auth = (await app.auth({ type: 'installation', ...options })) as { token: string };
    return auth.token;
  };

  it('answers GET /app and the repository installation to the app JWT', async () => {
    const { data } = await app.rest.apps.getAuthenticated();
    expect(data).toMatchObject({ id: SAMPLE.appId, slug: SAMPLE.slug, owner: { login: 'acme' } });
    const installation = await app.rest.apps.getRepoInstallation({ owner: 'acme', repo: 'checkout' });
    expect(installation.data).toMatchObject({ id: SAMPLE.installationId, app_id: SAMPLE.appId });
    const elsewhere = await refusal(app.rest.apps.getRepoInstallation({ owner: 'acme', repo: 'ledger' }));
    expect(elsewhere.status).toBe(404);
    expect(gh.calls.find((c) => c.path === '/app')).toMatchObject({ auth: 'jwt', status: 200 });
  });

  it('refuses a JWT signed by another key, an expired one and one that lives too long', async () => {
    const stranger = new Octokit({
      baseUrl: gh.url,
      log,
      authStrategy: createAppAuth,
      auth: { appId: SAMPLE.appId, privateKey: generateAppKeys().privateKey },
    });
    expect(await refusal(stranger.rest.apps.getAuthenticated())).toEqual({
      status: 401,
      message: 'A JSON web token could not be decoded',
    });
    const get = (jwt: string) => fetch(`${gh.url}/app`, { headers: { authorization: `Bearer ${jwt}` } });
    const expired = await get(
      signJwt(privateKey, { iss: SAMPLE.appId, iat: seconds() - 900, exp: seconds() - 300 }),
    );
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({
      message:
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
    const long = await get(signJwt(privateKey, { iss: SAMPLE.appId, iat: seconds(), exp: seconds() + 3600 }));
    expect(await long.json()).toMatchObject({
      message: "'Expiration time' claim ('exp') is too far in the future",
    });
    // Within GitHub's 60 s of drift, and `iss` as a string: accepted.
    const drifted = await get(
      signJwt(privateKey, { iss: String(SAMPLE.appId), iat: seconds() + 30, exp: seconds() + 600 }),
    );
    expect(drifted.status).toBe(200);
  });

  it('refuses hostile credentials: unsigned JWTs, unknown issuers, garbage, the wrong kind', async () => {
    const get = (path: string, authorization: string) =>
      fetch(`${gh.url}${path}`, { headers: { authorization } });
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { iss: SAMPLE.appId, iat: seconds(), exp: seconds() + 540 };
    const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
    const messageOf = async (answer: Response) => ((await answer.json()) as { message: string }).message;
    expect(await messageOf(await get('/app', `Bearer ${unsigned}`))).toBe(
      'A JSON web token could not be decoded',
    );
    const stranger = signJwt(privateKey, { ...claims, iss: 999 });
    expect((await get('/app', `Bearer ${stranger}`)).status).toBe(401);
    const garbage = await get('/repos/acme/checkout', 'token not-a-token');
    expect([garbage.status, await messageOf(garbage)]).toEqual([401, 'Bad credentials']);
    // A JWT is for the app's own endpoints; an installation token is not a JWT.
    const jwt = signJwt(privateKey, claims);
    expect((await get('/repos/acme/checkout', `Bearer ${jwt}`)).status).toBe(403);
    const token = await installationToken({});
    expect((await get('/app', `token ${token}`)).status).toBe(401);
    expect(gh.calls.filter((c) => c.path === '/app').map((c) => c.auth)).toContain('installation_token');
  });

  it('mints tokens of the installation: unknown installation 404, more than granted 422', async () => {
    const unknown = await refusal(app.rest.apps.createInstallationAccessToken({ installation_id: 9999 }));
    expect(unknown.status).toBe(404);
    const moreThanGranted = await refusal(
      app.rest.apps.createInstallationAccessToken({
        installation_id: SAMPLE.installationId,
        permissions: { contents: 'write' },
      }),
    );
    expect(moreThanGranted).toEqual({
      status: 422,
      message: 'The permissions requested are not granted to this installation.',
    });
    const outside = await refusal(
      app.rest.apps.createInstallationAccessToken({
        installation_id: SAMPLE.installationId,
        repositories: ['ledger'],
      }),
    );
    expect(outside).toEqual({
      status: 422,
      message:
        'There is at least one repository that does not exist or is not accessible to the parent installation.',
    });
    const { data } = await app.rest.apps.createInstallationAccessToken({
      installation_id: SAMPLE.installationId,
      repositories: ['checkout'],
      permissions: { issues: 'read' },
    });
    expect(data.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    expect(data.repositories?.map((r) => r.full_name)).toEqual(['acme/checkout']);
    expect(Date.parse(data.expires_at) - Date.now()).toBeGreaterThan(55 * 60 * 1000);
  });

  it('keeps a token to its repositories (404 elsewhere) and permissions (403 without)', async () => {
    const token = await installationToken({
      repositoryNames: ['checkout'],
      permissions: { issues: 'write' },
    });
    const narrowed = withToken(token);
    expect((await narrowed.rest.issues.listForRepo({ owner: 'acme', repo: 'checkout' })).status).toBe(200);
    expect(await refusal(narrowed.rest.issues.listForRepo({ owner: 'acme', repo: 'payments' }))).toEqual({
      status: 404,
      message: 'Not Found',
    });
    expect(await refusal(narrowed.rest.repos.listDeployments({ owner: 'acme', repo: 'checkout' }))).toEqual({
      status: 403,
      message: 'Resource not accessible by integration',
    });
    const minted = gh.tokens().at(-1);
    expect(minted).toMatchObject({
      installationId: SAMPLE.installationId,
      repositories: ['acme/checkout'],
      permissions: { issues: 'write', metadata: 'read' },
      revokedAt: null,
    });
    // The call log names the token by id, never by value.
    expect(gh.calls.at(-1)).toMatchObject({ auth: 'installation_token', tokenId: minted?.id, status: 403 });
    expect(JSON.stringify(gh.calls)).not.toContain(token);
  });

  it('serves the installation token Octokit mints by itself, for every repository of the installation', async () => {
    const { data } = await app.rest.repos.get({ owner: 'acme', repo: 'payments' });
    expect(data).toMatchObject({ full_name: 'acme/payments', private: true, owner: { login: 'acme' } });
  });

  it('revokes a token: DELETE /installation/token, then 401 Bad credentials', async () => {
    const token = await installationToken({ repositoryNames: ['payments'] });
    const client = withToken(token);
    expect((await client.rest.repos.get({ owner: 'acme', repo: 'payments' })).status).toBe(200);
    expect((await client.rest.apps.revokeInstallationAccessToken()).status).toBe(204);
    const after = await fetch(`${gh.url}/repos/acme/payments`, {
      headers: { authorization: `token ${token}` },
    });
    expect(after.status).toBe(401);
    expect(await after.json()).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
    expect(gh.tokens().find((t) => t.revokedAt !== null)?.repositories).toEqual(['acme/payments']);
    const none = await fetch(`${gh.url}/repos/acme/payments`);
    expect(none.status).toBe(401);
  });

  it('expires tokens after an hour of its clock', async () => {
    let clock = Date.now();
    const { gh: timed, privateKey: key } = await startSampleGitHub({ now: () => new Date(clock) });
    try {
      const octokit = new Octokit({
        baseUrl: timed.url,
        log,
        authStrategy: createAppAuth,
        auth: { appId: SAMPLE.appId, privateKey: key },
      });
      const { data } = await octokit.rest.apps.createInstallationAccessToken({
        installation_id: SAMPLE.installationId,
      });
      const get = () =>
        fetch(`${timed.url}/repos/acme/checkout`, { headers: { authorization: `Bearer ${data.token}` } });
      expect((await get()).status).toBe(200);
      clock += 61 * 60 * 1000;
      expect((await get()).status).toBe(401);
    } finally {
      await timed.close();
    }
  });
});
