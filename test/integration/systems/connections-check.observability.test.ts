import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { connectionsCheckCommand } from '../../../src/systems/connections.check.ts';
import { startAlertmanager, type TestAlertmanager } from '../../helpers/alertmanager.ts';
import {
  hasObservabilityServers,
  OBSERVABILITY_SKIP_REASON,
  startPrometheus,
  type TestPrometheus,
} from '../../helpers/prometheus.ts';
import { type BearerProxy, startBearerProxy } from '../tools/alertmanager/bearer-proxy.ts';

if (!hasObservabilityServers) console.warn(OBSERVABILITY_SKIP_REASON);

// Every secret is a canary: none may show up in any line the command writes.
const PROXY_TOKEN = 'CANARY-alertmanager-proxy-91be3f';
const WRONG_TOKEN = 'CANARY-alertmanager-wrong-6a0c72';
const PROMETHEUS_PASSWORD = 'CANARY-prometheus-password-d4e8';
const CANARIES = [PROXY_TOKEN, WRONG_TOKEN, PROMETHEUS_PASSWORD];
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

const dirs: string[] = [];
/** A fresh catalog directory whose `connections.yaml` holds `connections`. */
function catalogDir(connections: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-connections-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'connections.yaml'), stringify({ connections }));
  return dir;
}
const noCanary = (text: string) => expect(CANARIES.filter((c) => text.includes(c))).toEqual([]);

describe.skipIf(!hasObservabilityServers)(
  'warden connections check on a real Prometheus and Alertmanager',
  () => {
    let prometheus: TestPrometheus | undefined;
    let alertmanager: TestAlertmanager | undefined;
    let proxy: BearerProxy | undefined;
    let prometheusVersion: string;
    let alertmanagerVersion: string;

    beforeAll(async () => {
      [prometheus, alertmanager] = await Promise.all([startPrometheus(), startAlertmanager()]);
      proxy = await startBearerProxy({ target: alertmanager.url, token: PROXY_TOKEN });
      const buildInfo = (await (await fetch(`${prometheus.url}/api/v1/status/buildinfo`)).json()) as {
        data: { version: string };
      };
      prometheusVersion = buildInfo.data.version;
      const status = (await (await fetch(`${alertmanager.url}/api/v2/status`)).json()) as {
        versionInfo: { version: string };
      };
      alertmanagerVersion = status.versionInfo.version;
    });

    afterAll(async () => {
      await proxy?.stop();
      await Promise.all([prometheus?.stop(), alertmanager?.stop()]);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    it('says Prometheus and Alertmanager work (with their versions) and which token a proxy refuses', async () => {
      if (!prometheus || !proxy) throw new Error('not started');
      const dir = catalogDir({
        metrics: {
          kind: 'prometheus',
          url: `${prometheus.url}/`,
          // Prometheus ignores credentials it does not ask for: the password must still never be shown.
          auth: { basic: { username: 'warden', password: { env: 'WARDEN_PROMETHEUS_PASSWORD' } } },
        },
        alerts: { kind: 'alertmanager', url: proxy.url, auth: { bearer: { env: 'WARDEN_ALERTS_TOKEN' } } },
        'alerts-wrong': {
          kind: 'alertmanager',
          url: proxy.url,
          auth: { bearer: { env: 'WARDEN_ALERTS_WRONG_TOKEN' } },
        },
        'alerts-no-token': { kind: 'alertmanager', url: proxy.url },
      });
      const lines: string[] = [];
      const out = { write: (s: string) => void lines.push(...s.replace(/\n$/, '').split('\n')) };
      const env = {
        WARDEN_PROMETHEUS_PASSWORD: PROMETHEUS_PASSWORD,
        WARDEN_ALERTS_TOKEN: PROXY_TOKEN,
        WARDEN_ALERTS_WRONG_TOKEN: WRONG_TOKEN,
      };
      const code = await connectionsCheckCommand({ dir, env, out });
      expect(lines).toEqual([
        `✓ alerts (alertmanager): Alertmanager ${alertmanagerVersion}, cluster disabled`,
        '✗ alerts-no-token (alertmanager): alerts-no-token refused the credential (401): Unauthorized; check the secret it comes from.',
        '✗ alerts-wrong (alertmanager): alerts-wrong refused the credential (401): Unauthorized; check the secret it comes from.',
        `✓ metrics (prometheus): Prometheus ${prometheusVersion}`,
        '2 of 4 connections do not work',
      ]);
      expect(code).toBe(1);
      expect(prometheusVersion).toMatch(/^\d+\.\d+\.\d+/);
      expect({ passed: proxy.passed, refused: proxy.refused }).toEqual({ passed: 1, refused: 2 });
      noCanary(lines.join('\n'));
    });

    it('through the CLI: a catalog with only Prometheus works, exit code 0', async () => {
      if (!prometheus) throw new Error('not started');
      const dir = catalogDir({
        metrics: {
          kind: 'prometheus',
          url: prometheus.url,
          auth: { basic: { username: 'warden', password: { env: 'WARDEN_PROMETHEUS_PASSWORD' } } },
        },
      });
      const env = { ...process.env, WARDEN_PROMETHEUS_PASSWORD: PROMETHEUS_PASSWORD };
      const cli = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'connections', 'check', '--dir', dir],
        { cwd: repoRoot, env, timeout: 120_000 },
      ).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(cli.stdout).toBe(
        `✓ metrics (prometheus): Prometheus ${prometheusVersion}\nall 1 connections work\n`,
      );
      expect(cli.code).toBe(0);
      noCanary(`${cli.stdout}${cli.stderr}`);
    });
  },
);
