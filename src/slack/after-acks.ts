/**
 * Resumes in the event loop's check phase, after the poll phase has read, checked and answered every
 * request already waiting on a socket: work that follows an ack then never runs between the acks of a
 * burst, so the last request of a burst is not answered after the work of the first.
 */
export function afterPendingAcks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
