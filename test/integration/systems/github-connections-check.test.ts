import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { GitHubEmulator } from '../../../src/dev/github-emulator/index.ts';
import { connectionsCheckCommand } from '../../../src/systems/connections.check.ts';
import { APP_ID, PRIVATE_KEY, PRIVATE_KEY_LINE, startGitHub } from '../tools/github/github.fixture.ts';

const OTHER_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

/** `warden connections check` on a GitHub App: the App answers its own JWT, a wrong key or App id does not. */
describe('connections check for a GitHub App', () => {
  let gh: GitHubEmulator;
  const dirs: string[] = [];
  beforeAll(async () => {
    gh = await startGitHub();
  });
  afterAll(async () => {
    await gh?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function check(connections: Record<string, unknown>) {
    const dir = mkdtempSync(join(tmpdir(), 'warden-github-check-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'connections.yaml'), stringify({ connections }));
    const lines: string[] = [];
    const out = { write: (s: string) => void lines.push(...s.replace(/\n$/, '').split('\n')) };
    const env = { GITHUB_KEY: PRIVATE_KEY, OTHER_KEY, NOT_A_KEY: 'CANARY-not-a-pem' };
    const code = await connectionsCheckCommand({ dir, env, out });
    const text = lines.join('\n');
    for (const secret of [PRIVATE_KEY, PRIVATE_KEY_LINE, OTHER_KEY, 'CANARY-not-a-pem'])
      expect(text.includes(secret)).toBe(false);
    return { code, text };
  }
  const app = (key: string, appId = APP_ID) => ({
    kind: 'github',
    url: gh.url,
    app_id: appId,
    private_key: { env: key },
  });

  it('passes an App whose key signs a JWT GitHub accepts, naming the App and what it may do', async () => {
    const { code, text } = await check({ github: app('GITHUB_KEY') });
    expect(text).toMatch(
      /✓ github \(github\): GitHub App warden-test \(id 12345\) answers; it may .*issues:write/,
    );
    expect(code).toBe(0);
  });

  it('fails a key of another App, an unknown App id and a key that is no key, each saying what to fix', async () => {
    const { code, text } = await check({
      otherkey: app('OTHER_KEY'),
      otherapp: app('GITHUB_KEY', 99_999),
      nokey: app('NOT_A_KEY'),
    });
    expect(code).toBe(1);
    expect(text).toMatch(/✗ otherkey \(github\): otherkey refused the credential \(401\)/);
    expect(text).toMatch(/✗ otherapp \(github\): otherapp refused the credential \(401\)/);
    expect(text).toContain('✗ nokey (github): nokey: the App private key is not an RSA private key in PEM');
  });
});
