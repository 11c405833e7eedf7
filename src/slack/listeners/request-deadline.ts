import { deadlineIn, REQUEST_DEADLINE_MS, withDeadline } from '../../db/deadline.ts';

/**
 * Runs a listener's work under its request's deadline: `REQUEST_DEADLINE_MS` after the request reached
 * this instance (or after now, when that is not known). Past it no statement is sent for the request and
 * no transaction begins, so a click or command queued behind a database outage never takes effect after
 * it; the listener tells the person "not done, try again" (see `replyForError`).
 */
export function withinRequestDeadline<T>(
  { receivedAt, what }: { receivedAt: number | undefined; what: string },
  work: () => Promise<T>,
): Promise<T> {
  const waited = receivedAt === undefined ? 0 : Math.max(0, performance.now() - receivedAt);
  return withDeadline(deadlineIn({ ms: REQUEST_DEADLINE_MS - waited, what }), work);
}
