import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.ts';
import { isWardenError } from '../../../src/shared/errors.ts';

const refusal = (env: Record<string, string>) => {
  try {
    parseConfig({ env });
  } catch (error) {
    if (isWardenError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected parseConfig to refuse the environment');
};

describe('OPENAI_TIMEOUT_MS', () => {
  it('defaults to 20 s per model request', () => {
    expect(parseConfig({ env: {} }).openai.timeoutMs).toBe(20_000);
    expect(parseConfig({ env: { OPENAI_TIMEOUT_MS: ' ' } }).openai.timeoutMs).toBe(20_000);
  });

  it('takes a whole number of milliseconds', () => {
    expect(parseConfig({ env: { OPENAI_TIMEOUT_MS: '4500' } }).openai.timeoutMs).toBe(4_500);
  });

  it.each(['2s', '-1', '1.5', '50', '600001'])('refuses %j with one line naming the variable', (value) => {
    const refused = refusal({ OPENAI_TIMEOUT_MS: value });
    expect(refused.code).toBe('config.invalid');
    expect(refused.message).toMatch(/^OPENAI_TIMEOUT_MS /);
    expect(refused.message).not.toContain('\n');
  });
});

describe('WARDEN_RUN_WORKER', () => {
  const pg = 'postgres://warden@db.internal:5432/warden';

  it('defaults to the worker thread on Postgres and to inline on the embedded database', () => {
    expect(parseConfig({ env: { DATABASE_URL: pg } }).runWorker).toBe('thread');
    expect(parseConfig({ env: {} }).runWorker).toBe('inline');
    expect(parseConfig({ env: { DATABASE_URL: pg, WARDEN_RUN_WORKER: 'inline' } }).runWorker).toBe('inline');
  });

  it('refuses a thread without Postgres, and a value it does not know, naming the variable', () => {
    const embedded = refusal({ WARDEN_RUN_WORKER: 'thread' });
    expect(embedded.code).toBe('config.invalid');
    expect(embedded.message).toMatch(/^WARDEN_RUN_WORKER=thread needs DATABASE_URL/);
    const unknown = refusal({ DATABASE_URL: pg, WARDEN_RUN_WORKER: 'process' });
    expect(unknown.message).toMatch(/^WARDEN_RUN_WORKER must be one of thread, inline/);
  });
});

describe('WARDEN_RUN_WORKER_NICE', () => {
  it('defaults to 19, the lowest CPU priority, and takes a nice value from 0', () => {
    expect(parseConfig({ env: {} }).runWorkerNice).toBe(19);
    expect(parseConfig({ env: { WARDEN_RUN_WORKER_NICE: '0' } }).runWorkerNice).toBe(0);
    expect(parseConfig({ env: { WARDEN_RUN_WORKER_NICE: '10' } }).runWorkerNice).toBe(10);
  });

  it.each(['-5', '20', 'low', '2.5'])('refuses %j with one line naming the variable', (value) => {
    const refused = refusal({ WARDEN_RUN_WORKER_NICE: value });
    expect(refused.code).toBe('config.invalid');
    expect(refused.message).toMatch(/^WARDEN_RUN_WORKER_NICE /);
  });
});

describe('WARDEN_MAX_RUNS', () => {
  it('defaults to 20 runs at once per instance, and takes a whole number', () => {
    expect(parseConfig({ env: {} }).maxRuns).toBe(20);
    expect(parseConfig({ env: { WARDEN_MAX_RUNS: '3' } }).maxRuns).toBe(3);
  });

  it.each(['0', 'many', '2.5', '1001'])('refuses %j with one line naming the variable', (value) => {
    const refused = refusal({ WARDEN_MAX_RUNS: value });
    expect(refused.code).toBe('config.invalid');
    expect(refused.message).toMatch(/^WARDEN_MAX_RUNS /);
  });
});
