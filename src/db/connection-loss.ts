import { errorCode } from '../shared/errors.ts';

/** postgres.js's and the socket's codes for a connection that is gone or could not be opened. */
export const CONNECTION_CODES =
  /^(CONNECTION_\w+|CONNECT_TIMEOUT|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|08\w{3}|57P0[123])$/;

/** Whether the database connection was lost or could not be made (a failover, a restart, an outage). */
export function isConnectionLoss(error: unknown): boolean {
  return errorCode(error, CONNECTION_CODES) !== undefined;
}
