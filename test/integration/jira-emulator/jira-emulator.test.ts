import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JiraEmulator } from '../../../src/dev/jira-emulator/index.ts';
import { EMAIL, JIRA_TOKEN, READ_ONLY_TOKEN, startJira } from '../tools/jira/jira.fixture.ts';

const basic = (email: string, token: string) =>
  `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;

/** The fake Jira itself, spoken to with plain fetch: it refuses what Jira Cloud refuses. */
describe('the Jira emulator', () => {
  let jira: JiraEmulator;
  beforeAll(async () => {
    jira = await startJira({ rateLimit: { limit: 1000, windowSeconds: 60 } });
  });
  afterAll(() => jira?.close());

  const send = (path: string, init: { method?: string; body?: unknown; auth?: string; base?: string } = {}) =>
    fetch(`${init.base ?? jira.apiUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: init.auth ?? basic(EMAIL, JIRA_TOKEN),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });

  it('serves a scoped token only through /ex/jira/{cloudId}: the site path and a wrong cloud id refuse', async () => {
    expect((await send('/rest/api/3/myself')).status).toBe(200);
    const site = await send('/rest/api/3/myself', { base: jira.url });
    expect(site.status).toBe(401);
    expect(await site.json()).toEqual({ code: 401, message: 'Unauthorized; scope does not match' });
    expect(
      (await send('/rest/api/3/myself', { base: `${jira.url}/ex/jira/00000000-0000-0000-0000-000000000000` }))
        .status,
    ).toBe(404);
    expect((await send('/rest/api/3/myself', { auth: basic(EMAIL, 'wrong') })).status).toBe(401);
  });

  it('checks the scopes of the token: a read-only token cannot create', async () => {
    const body = { fields: { project: { key: 'OPS' }, issuetype: { name: 'Task' }, summary: 'x' } };
    const answer = await send('/rest/api/3/issue', {
      method: 'POST',
      body,
      auth: basic('reader@acme.example', READ_ONLY_TOKEN),
    });
    expect(answer.status).toBe(401);
  });

  it('validates bodies as v3 does: ADF descriptions, labels without spaces, a known project', async () => {
    const base = { project: { key: 'OPS' }, issuetype: { name: 'Task' }, summary: 'Disk full' };
    const plain = await send('/rest/api/3/issue', {
      method: 'POST',
      body: { fields: { ...base, description: 'text' } },
    });
    expect(plain.status).toBe(400);
    expect(await plain.json()).toMatchObject({
      errors: { description: expect.stringContaining('Atlassian Document') },
    });
    const label = await send('/rest/api/3/issue', {
      method: 'POST',
      body: { fields: { ...base, labels: ['a b'] } },
    });
    expect(label.status).toBe(400);
    const project = await send('/rest/api/3/issue', {
      method: 'POST',
      body: { fields: { ...base, project: { key: 'NOPE' } } },
    });
    expect(await project.json()).toMatchObject({ errors: { project: 'valid project is required' } });
    const made = await send('/rest/api/3/issue', { method: 'POST', body: { fields: base } });
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ key: expect.stringMatching(/^OPS-\d+$/) });
  });

  it('parses JQL: unknown fields, unbounded queries and unsupported syntax are 400s', async () => {
    const search = async (jql: string) => send('/rest/api/3/search/jql', { method: 'POST', body: { jql } });
    const unknown = await search('nosuchfield = x');
    expect(await unknown.json()).toMatchObject({
      errorMessages: ["Field 'nosuchfield' does not exist or you do not have permission to view it."],
    });
    expect((await search('ORDER BY created DESC')).status).toBe(400);
    expect((await search('project = OPS OR project = SEC')).status).toBe(400);
    const ok = await search('project = "OPS" ORDER BY created DESC');
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { issues: { fields: Record<string, unknown> }[]; isLast: boolean };
    // Without `fields`, the enhanced search answers ids only, as Jira's does.
    expect(body.issues[0]?.fields).toEqual({});
  });

  it('rate-limits with the real headers: 429, Retry-After, X-RateLimit-*', async () => {
    const limited = await startJira({ rateLimit: { limit: 2, windowSeconds: 60 } });
    try {
      const answers = [];
      for (let i = 0; i < 3; i++)
        answers.push(
          await fetch(`${limited.apiUrl}/rest/api/3/myself`, {
            headers: { authorization: basic(EMAIL, JIRA_TOKEN) },
          }),
        );
      expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
      const last = answers[2]!;
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(last.headers.get('ratelimit-reason')).toBe('jira-burst-based');
      expect(limited.calls.map((c) => c.status)).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });
});
