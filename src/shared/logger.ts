import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { currentLogIds } from './log-context.ts';
import type { Redactor } from './redact.ts';

export type { Logger };

/** Paths pino removes before a line is serialised; deeper secret-named keys are caught by `scrubLine`. */
const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'headers.Authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.authorization',
  '*.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers.cookie',
  'token',
  '*.token',
  'credential',
  '*.credential',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'signingSecret',
  '*.signingSecret',
  'botToken',
  '*.botToken',
];

const REDACTED = '[REDACTED]';

/**
 * pino JSON logs. Every finished line is parsed, redacted as a value and written again before it leaves:
 * known secret values, secret-looking strings and values under secret-named keys are replaced wherever they
 * are (the message, fields, child bindings, `%o` arguments, serialised errors), and a secret that JSON had
 * to escape (a quote, a backslash) is still recognised. Authorization and token fields are also removed by
 * path. Lines carry the request, run and proposal ids in effect (see `runWithLogIds`). `pretty` prints the
 * scrubbed lines for people (local mode) through pino-pretty; if it cannot be loaded, the lines stay JSON and
 * the first one says why.
 */
export function createLogger({
  level,
  redactor,
  destination = process.stdout,
  pretty = false,
  prettyModule = 'pino-pretty',
}: {
  level: string;
  redactor: Redactor;
  destination?: NodeJS.WritableStream;
  pretty?: boolean;
  /** The pretty printer's package (tests name a missing one). */
  prettyModule?: string;
}): Logger {
  const format = pretty ? loadPrettyPrinter({ module: prettyModule }) : null;
  const scrubbed = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const line = scrubLine({ line: chunk.toString('utf8'), redactor });
      destination.write(format ? format(line) : line);
      callback();
    },
  });
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    mixin: () => currentLogIds(),
    hooks: {
      // Arguments interpolated into the message (`%s`, `%o`) are scrubbed before pino formats them, since
      // a secret inside an object stringified into the message would be escaped twice in the line.
      logMethod(args, method) {
        const clean = args.map((arg, i) =>
          typeof arg === 'string' ? redactor.redactText(arg) : i === 0 ? arg : redactor.redactValue(arg),
        );
        method.apply(this, clean as Parameters<pino.LogFn>);
      },
    },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
  };
  const logger = pino(options, scrubbed);
  if (pretty && !format) {
    logger.warn(
      { module: prettyModule },
      `${prettyModule} could not be loaded, so logs are JSON lines: run npm ci (it is a dependency) to read them pretty`,
    );
  }
  return logger;
}

/** The process logger as start-up builds it: pretty lines for people in local mode, JSON lines otherwise. */
export function createAppLogger({
  config,
  redactor,
  destination,
}: {
  /** The parts of the config the logger reads (`Config` fits). */
  config: { logLevel: string; localMode: boolean };
  redactor: Redactor;
  destination?: NodeJS.WritableStream;
}): Logger {
  return createLogger({
    level: config.logLevel,
    redactor,
    pretty: config.localMode,
    ...(destination ? { destination } : {}),
  });
}

/** One JSON log line with every secret replaced; a line that is not JSON is scrubbed as text. */
export function scrubLine({ line, redactor }: { line: string; redactor: Redactor }): string {
  try {
    const parsed: unknown = JSON.parse(line);
    return `${JSON.stringify(redactor.redactValue(parsed))}\n`;
  } catch {
    return redactor.redactText(line);
  }
}

type PrettyFactory = (options: Record<string, unknown>) => (line: string) => string;

/** pino-pretty's formatter, or null when the package cannot be loaded. */
function loadPrettyPrinter({ module }: { module: string }): ((line: string) => string) | null {
  try {
    const { prettyFactory } = createRequire(import.meta.url)(module) as {
      prettyFactory: PrettyFactory;
    };
    return prettyFactory({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    return null;
  }
}
