import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/services.ts';
import { promotedTriageYaml } from './promotion.helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** `npx warden charter validate` as a person runs it, on the embedded database of a fresh data directory. */
async function validate(charters: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-validate-cli-'));
  dirs.push(dir);
  const chartersDir = join(dir, 'charters');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(chartersDir);
  for (const [file, text] of Object.entries(charters)) writeFileSync(join(chartersDir, file), text);
  const env = {
    PATH: process.env.PATH ?? '',
    WARDEN_DATA_DIR: join(dir, 'data'),
    WARDEN_CATALOG_DIR: join(dir, 'none'),
  };
  return promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'charter', 'validate', '--dir', chartersDir],
    { cwd: repoRoot, env, timeout: 120_000 },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('warden charter validate and the recorded evidence', { timeout: 180_000 }, () => {
  it('refuses a gated mode when the database holds no evidence, saying why, and exits 1', async () => {
    const result = await validate({ 'triage.yaml': promotedTriageYaml() });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/triage\/production: mode human_on_the_loop is refused/);
    expect(result.stdout).toContain(
      'charters refused: 1 environment mode is above the recorded eval evidence',
    );
    expect(result.stderr).toContain('the recorded eval evidence could not be read');
  });

  it('passes an owner’s override, noting it, with no evidence at all', async () => {
    const result = await validate({ 'triage.yaml': promotedTriageYaml({ override: true }) });
    expect(result.stdout).toContain('1 charter valid');
    expect(result.code).toBe(0);
  });
});
