// Types for dates.js, a browser script that the console's tests also import.

/** Formats `date` with Slack's date tokens in `timeZone` (the runtime's own by default); null for an invalid date. */
export function formatSlackDate(
  date: Date,
  format: string,
  options?: { now?: Date; timeZone?: string },
): string | null;

/** Rewrites every `<time data-format>` under `root` in the reader's own time zone. */
export function localTimes(root: unknown, options?: { now?: Date }): void;
