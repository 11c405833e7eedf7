import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/services.ts';

const run = promisify(execFile);

/** Starts `src/main.ts` the way `npm start` does and returns its exit code and output. */
async function start(env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('start-up errors are one clear line, never a stack trace', () => {
  it('names a bad environment variable', async () => {
    const result = await start({ PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('warden: PORT must be a whole number');
  });

  it('says the database is missing when DATABASE_URL points nowhere', async () => {
    const result = await start({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/warden', PORT: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^warden: Cannot open DATABASE_URL: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('points at the file and the path of an invalid charter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-charters-'));
    writeFileSync(join(dir, 'broken.yaml'), 'agent: broken\nversion: zero\n');
    const result = await start({ CHARTERS_DIR: dir, WARDEN_DATA_DIR: join(dir, 'data'), PORT: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('broken.yaml');
    expect(result.stderr).toContain('version');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('npm start on embedded defaults', () => {
  it('starts on PGlite, serves /healthz and /metrics, and stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'warden-start-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', PORT: '0', WARDEN_DATA_DIR: join(dir, 'data') },
    });
    let stdout = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up line: ${stdout}`)), 150_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /http:\/\/localhost:(\d+)\//.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}: ${stdout}`)));
    });
    try {
      expect(stdout).toContain('embedded PGlite');
      expect(stdout).toContain('triage');
      expect(stdout).toMatch(/SLACK_BOT_TOKEN/);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        ok: true,
        agents: expect.arrayContaining(['triage', 'evidence']),
      });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('warden_kill_switch_engaged');
      expect(metrics).toContain('warden_proposals');
      // The console page is a request people make; local mode logs it at debug, so the start-up lines
      // stay the last thing on the screen.
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(stdout).not.toMatch(/http request/);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    expect(stdout).toMatch(/Warden stopped/);
  }, 180_000);
});
