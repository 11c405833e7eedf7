import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { Redactor } from '../shared/redact.ts';

export type { Logger };

/**
 * pino JSON logs. Known secret values and secret-looking strings are scrubbed from every line
 * before it is written, and Authorization/token fields are removed by path.
 */
export function createLogger({
  level,
  redactor,
  destination = process.stdout,
}: {
  level: string;
  redactor: Redactor;
  destination?: NodeJS.WritableStream;
}): Logger {
  const scrubbed = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      destination.write(redactor.redactText(chunk.toString('utf8')));
      callback();
    },
  });
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.headers.authorization',
        'token',
        '*.token',
        'credential',
        '*.credential',
        'apiKey',
        '*.apiKey',
        'password',
        '*.password',
      ],
      censor: '[REDACTED]',
    },
  };
  return pino(options, scrubbed);
}
