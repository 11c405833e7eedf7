import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type PagerDutyEmulator,
  startPagerDutyEmulator,
} from '../../../src/dev/pagerduty-emulator/server.ts';
import { connectionsCheckCommand } from '../../../src/systems/connections.check.ts';

const TOKEN = 'u+pdCheckCanary-Gt64Bn2Xs9';
const WRONG = 'u+pdCheckWrong-Vc18Hm7Qe3';

describe('warden connections check: PagerDuty', () => {
  let pd: PagerDutyEmulator;
  let dir: string;
  beforeEach(async () => {
    pd = await startPagerDutyEmulator({ token: TOKEN });
    dir = mkdtempSync(join(tmpdir(), 'warden-pd-check-'));
    const connection = (env: string) => ({ kind: 'pagerduty', url: pd.url, token: { env } });
    writeFileSync(
      join(dir, 'connections.yaml'),
      stringify({
        connections: {
          'pd-good': connection('PD_GOOD'),
          'pd-wrong': { ...connection('PD_WRONG'), incident_prefix: 'PDW' },
          'pd-missing': { ...connection('PD_MISSING'), incident_prefix: 'PDM' },
        },
      }),
    );
  });
  afterEach(async () => {
    await pd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pings each PagerDuty connection and says what is wrong, never the token', async () => {
    const lines: string[] = [];
    const out = { write: (s: string) => void lines.push(...s.replace(/\n$/, '').split('\n')) };
    const code = await connectionsCheckCommand({ dir, env: { PD_GOOD: TOKEN, PD_WRONG: WRONG }, out });
    expect(code).toBe(1);
    expect(lines).toEqual([
      expect.stringMatching(/^✓ pd-good \(pagerduty\): PagerDuty API, \d+ abilities$/),
      '✗ pd-missing (pagerduty): pd-missing: the API token comes from PD_MISSING, which is not set',
      expect.stringMatching(/^✗ pd-wrong \(pagerduty\): pd-wrong refused the credential \(401\)/),
      '2 of 3 connections do not work',
    ]);
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain(WRONG);
  });
});
