import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  createKubernetesEmulator,
  type KubernetesEmulator,
} from '../../../src/dev/kubernetes-emulator/index.ts';
import { checkConnections, connectionsCheckCommand } from '../../../src/systems/connections.check.ts';
import { shippedIdentities } from '../tools/kubernetes/rbac.fixture.ts';

// Every secret is a canary: none may show up in any line the command writes.
const GOOD = 'CANARY-broker-good-7c1e9a';
const LIMITED = 'CANARY-broker-limited-42d0f3';
const WRONG = 'CANARY-broker-wrong-b85e16';
const DOWN = 'CANARY-broker-down-0a93c4';
const PASTED = 'CANARY-pasted-into-yaml-5d27';
const CANARIES = [GOOD, LIMITED, WRONG, DOWN, PASTED];
const executor = { namespace: 'warden', read_account: 'warden-reader', write_account: 'warden-executor' };
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

const dirs: string[] = [];
/** A fresh catalog directory holding `files` (file name → YAML value or text). */
function catalogDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-connections-'));
  dirs.push(dir);
  for (const [name, value] of Object.entries(files))
    writeFileSync(join(dir, name), typeof value === 'string' ? value : stringify(value));
  return dir;
}
/** Runs the command with an `out` that keeps every line written. */
async function check(dir: string, env: Record<string, string>) {
  const lines: string[] = [];
  const out = { write: (s: string) => void lines.push(...s.replace(/\n$/, '').split('\n')) };
  const code = await connectionsCheckCommand({ dir, env, out });
  expect(CANARIES.filter((c) => lines.join('\n').includes(c))).toEqual([]);
  return { code, lines };
}
const cluster = (url: string, env: string) => ({ kind: 'kubernetes', url, token: { env }, executor });
const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

let emulator: KubernetesEmulator;
/** Counts requests and answers 500: connections that must never be pinged point here. */
let trap: Server;
let trapHits = 0;
let trapUrl: string;
/** Never answers: a system that hangs. */
let hang: Server;
let hangUrl: string;
/** A port nothing listens on any more. */
let closedUrl: string;

beforeAll(async () => {
  const shipped = shippedIdentities({ brokerToken: GOOD });
  const broker = shipped.find((i) => 'token' in i);
  if (!broker) throw new Error('the shipped RBAC has no broker identity');
  emulator = createKubernetesEmulator({
    identities: [
      ...shipped,
      // A broker whose Role lost its TokenRequest rule: it may still manage the lease Secrets.
      {
        token: LIMITED,
        user: 'system:serviceaccount:warden:warden-broker-limited',
        rules: broker.rules.filter((r) => !r.resources.includes('serviceaccounts/token')),
      },
    ],
  });
  await emulator.start();
  trap = createServer((_req, res) => {
    trapHits++;
    res.writeHead(500).end();
  });
  trapUrl = await listen(trap);
  hang = createServer(() => undefined);
  hangUrl = await listen(hang);
  const closed = createServer();
  closedUrl = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});

afterAll(async () => {
  expect(emulator?.errors()).toEqual([]);
  await emulator?.close();
  hang?.closeAllConnections();
  for (const server of [trap, hang])
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('warden connections check: clusters and secrets', () => {
  it('says which connections work and exactly what is wrong with each of the others', async () => {
    const dir = catalogDir({
      'connections.yaml': {
        connections: {
          'cluster-ok': cluster(emulator.url, 'WARDEN_OK_TOKEN'),
          'cluster-no-tokens': cluster(emulator.url, 'WARDEN_LIMITED_TOKEN'),
          'cluster-wrong-token': cluster(emulator.url, 'WARDEN_WRONG_TOKEN'),
          'cluster-down': cluster(closedUrl, 'WARDEN_DOWN_TOKEN'),
          'cluster-no-env': cluster(trapUrl, 'WARDEN_MISSING_TOKEN'),
          'metrics-no-file': {
            kind: 'prometheus',
            url: trapUrl,
            auth: { bearer: { file: '/nonexistent/warden-prometheus-token' } },
          },
        },
      },
    });
    const env = {
      WARDEN_OK_TOKEN: GOOD,
      WARDEN_LIMITED_TOKEN: LIMITED,
      WARDEN_WRONG_TOKEN: WRONG,
      WARDEN_DOWN_TOKEN: DOWN,
    };
    const { code, lines } = await check(dir, env);
    expect(lines).toEqual([
      '✗ cluster-down (kubernetes): cluster-down is unreachable (ECONNREFUSED).',
      '✗ cluster-no-env (kubernetes): cluster-no-env: the broker token comes from WARDEN_MISSING_TOKEN, which is not set',
      '✗ cluster-no-tokens (kubernetes): cluster-no-tokens: the broker token may not create serviceaccounts/token "warden-reader", create serviceaccounts/token "warden-executor" in namespace warden; apply the warden-broker Role of deploy/kubernetes/ (or fix its RoleBinding).',
      `✓ cluster-ok (kubernetes): cluster-ok: the broker may mint tokens for warden/warden-reader and warden/warden-executor and manage lease Secrets in warden (${emulator.url})`,
      "✗ cluster-wrong-token (kubernetes): cluster-wrong-token refused the broker token (401): Unauthorized; check the secret it comes from (the connection's `token`).",
      '✗ metrics-no-file (prometheus): metrics-no-file: the bearer token file /nonexistent/warden-prometheus-token cannot be read (no such file)',
      '5 of 6 connections do not work',
    ]);
    expect(code).toBe(1);
    // A connection without its secret is never pinged.
    expect(trapHits).toBe(0);
    // The checks only asked questions: nothing was created on the cluster.
    expect(new Set(emulator.requests().map((r) => `${r.method} ${r.path}`))).toEqual(
      new Set(['POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews']),
    );
  });

  it('exits 0 when every connection works', async () => {
    const dir = catalogDir({
      'connections.yaml': { connections: { 'cluster-ok': cluster(emulator.url, 'WARDEN_OK_TOKEN') } },
    });
    const { code, lines } = await check(dir, { WARDEN_OK_TOKEN: GOOD });
    expect(lines).toEqual([
      `✓ cluster-ok (kubernetes): cluster-ok: the broker may mint tokens for warden/warden-reader and warden/warden-executor and manage lease Secrets in warden (${emulator.url})`,
      'all 1 connections work',
    ]);
    expect(code).toBe(0);
  });

  it('gives a connection with two problems one line (and counts it once)', async () => {
    const dir = catalogDir({
      'connections.yaml': {
        connections: {
          'cluster-no-ca': { ...cluster(trapUrl, 'WARDEN_MISSING_TOKEN'), ca_file: '/nonexistent/ca.crt' },
        },
      },
    });
    const { code, lines } = await check(dir, {});
    expect(lines).toEqual([
      '✗ cluster-no-ca (kubernetes): cluster-no-ca: the broker token comes from WARDEN_MISSING_TOKEN, which is not set; cluster-no-ca: cannot read the cluster CA file /nonexistent/ca.crt (no such file)',
      '1 of 1 connections do not work',
    ]);
    expect(code).toBe(1);
    expect(trapHits).toBe(0);
  });

  it('reports a system that does not answer in time as such, not as cancelled', async () => {
    const dir = catalogDir({
      'connections.yaml': {
        connections: {
          'slow-cluster': cluster(hangUrl, 'WARDEN_OK_TOKEN'),
          'slow-metrics': { kind: 'prometheus', url: hangUrl },
          'slow-alerts': { kind: 'alertmanager', url: hangUrl },
        },
      },
    });
    const result = await checkConnections({ dir, env: { WARDEN_OK_TOKEN: GOOD }, timeoutMs: 300 });
    expect(result).toEqual({
      catalogProblems: [],
      checks: [
        {
          connection: 'slow-alerts',
          kind: 'alertmanager',
          ok: false,
          message: 'slow-alerts did not answer within 300 ms.',
        },
        {
          connection: 'slow-cluster',
          kind: 'kubernetes',
          ok: false,
          message: 'slow-cluster did not answer within 300 ms.',
        },
        {
          connection: 'slow-metrics',
          kind: 'prometheus',
          ok: false,
          message: 'slow-metrics did not answer within 300 ms.',
        },
      ],
    });
  });

  it('exits 0 with "no connections" for an empty or absent catalog directory', async () => {
    const dir = catalogDir({});
    for (const at of [dir, join(dir, 'absent')]) {
      const { code, lines } = await check(at, { WARDEN_OK_TOKEN: GOOD });
      expect(lines).toEqual([`no connections in ${at}: only the sandbox's tools can be used`]);
      expect(code).toBe(0);
    }
  });

  it("exits 1 with the catalog's problems for an invalid catalog, never echoing a pasted secret", async () => {
    const dir = catalogDir({
      'connections.yaml': {
        connections: {
          'cluster-ok': cluster(emulator.url, 'WARDEN_OK_TOKEN'),
          pasted: { kind: 'prometheus', url: trapUrl, auth: { bearer: PASTED } },
        },
      },
      'checkout.yaml': {
        service: 'checkout',
        owner_channel: 'C0CHECKOUT',
        environments: {
          production: { alertmanager: { connection: 'alerts', matchers: { app: 'checkout' } } },
        },
      },
    });
    const { code, lines } = await check(dir, { WARDEN_OK_TOKEN: GOOD });
    expect(lines).toEqual([
      `✗ the catalog in ${dir} is invalid (npx warden catalog validate --dir ${dir}):`,
      `    ${dir}/connections.yaml: connections.pasted.auth.bearer: must say where the secret comes from, { env: VARIABLE } or { file: /path }, never the secret itself (line 15)`,
      `    ${dir}/checkout.yaml: environments.production.alertmanager.connection: "alerts" is not a connection in ${dir}/connections.yaml`,
    ]);
    expect(code).toBe(1);
    expect(trapHits).toBe(0);
  });
});

describe('warden connections check through the CLI', () => {
  it('prints one line per connection and exits 1 when one is unreachable', async () => {
    const dir = catalogDir({
      'connections.yaml': {
        connections: {
          'cluster-ok': cluster(emulator.url, 'WARDEN_OK_TOKEN'),
          'cluster-down': cluster(closedUrl, 'WARDEN_DOWN_TOKEN'),
        },
      },
    });
    const env = { ...process.env, WARDEN_OK_TOKEN: GOOD, WARDEN_DOWN_TOKEN: DOWN };
    const cli = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'connections', 'check', '--dir', dir],
      { cwd: repoRoot, env, timeout: 120_000 },
    ).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(cli.stdout).toBe(
      [
        '✗ cluster-down (kubernetes): cluster-down is unreachable (ECONNREFUSED).',
        `✓ cluster-ok (kubernetes): cluster-ok: the broker may mint tokens for warden/warden-reader and warden/warden-executor and manage lease Secrets in warden (${emulator.url})`,
        '1 of 2 connections do not work',
        '',
      ].join('\n'),
    );
    expect(cli.code).toBe(1);
    expect(CANARIES.filter((c) => `${cli.stdout}${cli.stderr}`.includes(c))).toEqual([]);
  });
});
