import type { IncomingMessage, ServerResponse } from 'node:http';

/** Slack's replay window: requests stamped more than this far from now, either way, are refused. */
export const MAX_REQUEST_SKEW_SECONDS = 300;

/**
 * Refuses a Slack request whose timestamp is more than 300 s in the past **or the future** with 401 and
 * no body. Bolt checks only the past; a request stamped ahead could be replayed for longer.
 * Returns true when it answered the request.
 */
export function refuseOutsideWindow({
  req,
  res,
  nowMs,
}: {
  req: IncomingMessage;
  res: ServerResponse;
  nowMs: number;
}): boolean {
  const header = req.headers['x-slack-request-timestamp'];
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  const skew = Math.abs(nowMs / 1000 - seconds);
  if (Number.isFinite(seconds) && skew <= MAX_REQUEST_SKEW_SECONDS) return false;
  res.writeHead(401);
  res.end();
  return true;
}
