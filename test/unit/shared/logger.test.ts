import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.ts';
import { outsideLogIds, runWithLogIds } from '../../../src/shared/log-context.ts';
import { createAppLogger, createLogger } from '../../../src/shared/logger.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { createLogCapture } from '../../helpers/services.ts';

// Known secrets (one with characters JSON escapes) and secret-looking values nobody registered.
const KNOWN = 'canary-known-0a1b2c3d4e';
const ESCAPED = 'canary"quoted\\secret-77';
const BEARER = 'canary-bearer-abcdef123456';
const SLACK_TOKEN = 'xoxb-9999-canary-slacktoken';
const CREDENTIAL = 'wdn_cred_canary0123456789abcdef';
/** The secret as written, and as it reads once or twice JSON-escaped (a value stringified inside a line). */
const escapings = (secret: string) => {
  const once = JSON.stringify(secret).slice(1, -1);
  return [secret, once, JSON.stringify(once).slice(1, -1)];
};
const CANARIES = [KNOWN, BEARER, SLACK_TOKEN, CREDENTIAL].concat(escapings(ESCAPED));

function everyWayToLog(pretty: boolean) {
  const capture = createLogCapture();
  const redactor = createRedactor({ secrets: [KNOWN, ESCAPED] });
  const logger = createLogger({ level: 'trace', redactor, destination: capture.stream, pretty });
  logger.info(
    { req: { headers: { authorization: `Bearer ${BEARER}`, cookie: `session=${KNOWN}` } } },
    'request',
  );
  logger.info({ headers: { Authorization: `Bearer ${BEARER}` } }, 'capitalised header');
  logger.info(
    { config: { slack: { botToken: SLACK_TOKEN, signingSecret: KNOWN } }, apiKey: KNOWN },
    'config',
  );
  logger.warn({ deep: { a: { b: { c: { d: { token: CREDENTIAL, note: `see ${KNOWN}` } } } } } }, 'deep');
  logger.debug(`a message with ${ESCAPED} and ${SLACK_TOKEN}`);
  logger.debug('format %s and %o', KNOWN, { value: ESCAPED });
  logger.error(
    { err: new Error(`failed with ${KNOWN}`, { cause: new Error(`because ${ESCAPED}`) }) },
    'error',
  );
  const platform = Object.assign(new Error(`An API error occurred: ${SLACK_TOKEN}`), {
    code: 'slack_webapi_platform_error',
    data: { error: `invalid ${KNOWN}`, token: SLACK_TOKEN },
  });
  logger.warn({ err: platform }, 'slack failed');
  logger.child({ runId: 'run_1', credential: CREDENTIAL, note: ESCAPED }).info('child bindings');
  logger.info({ list: [KNOWN, { password: 'hunter2-canary' }], text: `password=${KNOWN}` }, 'arrays');
  return capture.lines;
}

describe('the logger scrubs every line', () => {
  for (const pretty of [false, true]) {
    it(`${pretty ? 'pretty' : 'JSON'}: no canary reaches a line, whatever the shape it was logged in`, () => {
      const lines = everyWayToLog(pretty);
      expect(lines.length).toBe(10);
      const text = lines.join('');
      for (const canary of CANARIES) expect(text, canary).not.toContain(canary);
      expect(text).not.toContain('hunter2-canary');
      expect(text).toContain('[REDACTED]');
      // What is not secret stays readable.
      expect(text).toContain('failed with [REDACTED]');
      expect(text).toContain('slack_webapi_platform_error');
      expect(text).toContain('run_1');
    });
  }

  it('keeps errors readable: type, message, stack and cause', () => {
    const capture = createLogCapture();
    const logger = createLogger({ level: 'info', redactor: createRedactor(), destination: capture.stream });
    logger.error({ err: new TypeError('bad input', { cause: new Error('root cause') }) }, 'oops');
    const line = JSON.parse(capture.lines[0]!);
    expect(line.err).toMatchObject({ type: 'TypeError', message: expect.stringContaining('bad input') });
    expect(line.err.stack).toContain('TypeError: bad input');
    expect(JSON.stringify(line.err)).toContain('root cause');
  });

  it('adds the request, run and proposal ids in effect to every line, JSON and pretty', () => {
    for (const pretty of [false, true]) {
      const capture = createLogCapture();
      const logger = createLogger({
        level: 'info',
        redactor: createRedactor(),
        destination: capture.stream,
        pretty,
      });
      logger.info('outside');
      runWithLogIds({ requestId: 'req_abc' }, () => {
        logger.info('in a request');
        runWithLogIds({ runId: 'run_def' }, () => logger.child({ proposalId: 'prp_ghi' }).info('in a run'));
      });
      const [outside, request, run] = capture.lines;
      expect(outside).not.toContain('req_abc');
      expect(request).toContain('req_abc');
      for (const id of ['req_abc', 'run_def', 'prp_ghi']) expect(run).toContain(id);
      if (!pretty)
        expect(JSON.parse(run!)).toMatchObject({
          requestId: 'req_abc',
          runId: 'run_def',
          proposalId: 'prp_ghi',
        });
      else expect(run).toMatch(/INFO.*in a run/);
    }
  });

  it("does not carry one line's fields into the next line of the same context", () => {
    const capture = createLogCapture();
    const logger = createLogger({ level: 'info', redactor: createRedactor(), destination: capture.stream });
    runWithLogIds({ requestId: 'req_abc' }, () => {
      logger.info({ proposalId: 'prp_A', status: 500 }, 'first');
      logger.info('second');
      runWithLogIds({ runId: 'run_def' }, () => logger.info('nested'));
    });
    const [first, second, nested] = capture.lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ requestId: 'req_abc', proposalId: 'prp_A', status: 500 });
    expect(second).toMatchObject({ requestId: 'req_abc', msg: 'second' });
    expect(second).not.toHaveProperty('status');
    expect(second).not.toHaveProperty('proposalId');
    expect(nested).toMatchObject({ requestId: 'req_abc', runId: 'run_def' });
    expect(nested).not.toHaveProperty('status');
    expect(nested).not.toHaveProperty('proposalId');
  });

  it('keeps ids apart across concurrent async work', async () => {
    const capture = createLogCapture();
    const logger = createLogger({ level: 'info', redactor: createRedactor(), destination: capture.stream });
    const work = (id: string, delay: number) =>
      runWithLogIds({ requestId: id }, async () => {
        await new Promise((resolve) => setTimeout(resolve, delay));
        logger.info({ expected: id }, 'done');
      });
    await Promise.all([work('req_one', 20), work('req_two', 5)]);
    for (const line of capture.lines.map((l) => JSON.parse(l))) expect(line.requestId).toBe(line.expected);
  });

  it('leaves background work started inside a request without that request id', async () => {
    const capture = createLogCapture();
    const logger = createLogger({ level: 'info', redactor: createRedactor(), destination: capture.stream });
    let background: Promise<void> = Promise.resolve();
    runWithLogIds({ requestId: 'req_first' }, () => {
      background = outsideLogIds(async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        logger.info('serving everyone');
      });
    });
    await background;
    expect(JSON.parse(capture.lines[0]!).requestId).toBeUndefined();
  });
});

describe('the logger as start-up builds it', () => {
  const oneLine = (env: Record<string, string>) => {
    const config = parseConfig({ env });
    const capture = createLogCapture();
    createAppLogger({
      config,
      redactor: createRedactor({ secrets: config.secrets }),
      destination: capture.stream,
    }).info({ runId: 'run_1' }, 'hello');
    expect(capture.lines).toHaveLength(1);
    return { config, line: capture.lines[0]! };
  };

  it('prints pretty lines in local mode (no SLACK_BOT_TOKEN), as npm start runs it', () => {
    const { config, line } = oneLine({});
    expect(config.localMode).toBe(true);
    expect(() => JSON.parse(line)).toThrow();
    expect(line).toMatch(/INFO.*hello/);
    expect(line).toContain('run_1');
  });

  it('prints JSON lines for a workspace', () => {
    const { config, line } = oneLine({ SLACK_BOT_TOKEN: 'xoxb-1-test', SLACK_SIGNING_SECRET: 'test-secret' });
    expect(config.localMode).toBe(false);
    expect(JSON.parse(line)).toMatchObject({ level: 30, msg: 'hello', runId: 'run_1' });
  });

  it('says in its first line when the pretty printer cannot be loaded, then writes JSON', () => {
    const capture = createLogCapture();
    const logger = createLogger({
      level: 'info',
      redactor: createRedactor(),
      destination: capture.stream,
      pretty: true,
      prettyModule: 'pino-pretty-not-installed',
    });
    logger.info('hello');
    const [warning, line] = capture.lines.map((l) => JSON.parse(l));
    expect(warning).toMatchObject({ level: 40, module: 'pino-pretty-not-installed' });
    expect(warning.msg).toContain('could not be loaded, so logs are JSON lines');
    expect(line).toMatchObject({ msg: 'hello' });
  });
});
