import type { IncomingMessage, ServerResponse } from 'node:http';
import { newId } from '../shared/ids.ts';
import { runWithLogIds } from '../shared/log-context.ts';
import type { Logger } from '../shared/logger.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** A request id a load balancer may already have given; anything else is replaced by our own. */
const INCOMING_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** Probes are logged at debug so they do not drown the requests people make. */
const QUIET_PATHS = new Set(['/healthz', '/metrics']);

/**
 * Wraps HTTP routes so every log line written while a request is handled (Bolt's, the listeners', a run
 * started by it) carries its `requestId`, the response says it in `x-request-id`, and one line records
 * the method, path, status and duration: at `level` (info unless given; local mode says debug), probes
 * always at debug.
 */
export function withRequestLogging({
  logger,
  routes,
  level = 'info',
}: {
  logger: Logger;
  routes: Record<string, Handler>;
  level?: 'info' | 'debug';
}): Record<string, Handler> {
  return Object.fromEntries(
    Object.entries(routes).map(([route, handler]) => [route, logged({ logger, handler, level })]),
  );
}

function logged({
  logger,
  handler,
  level,
}: {
  logger: Logger;
  handler: Handler;
  level: 'info' | 'debug';
}): Handler {
  return (req, res) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : newId('req');
    const started = performance.now();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    res.setHeader('x-request-id', requestId);
    res.once('finish', () => {
      const line = {
        requestId,
        method: req.method,
        path,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      };
      if (QUIET_PATHS.has(path)) logger.debug(line, 'http request');
      else logger[level](line, 'http request');
    });
    return runWithLogIds({ requestId }, () => handler(req, res));
  };
}
