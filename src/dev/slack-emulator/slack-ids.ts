import { randomBytes } from 'node:crypto';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MIXED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomFrom(alphabet: string, length: number): string {
  let out = '';
  for (const byte of randomBytes(length)) out += alphabet[byte % alphabet.length];
  return out;
}

/**
 * Slack message timestamps (`"1764000000.123456"`) taken from the emulator clock, strictly
 * increasing so two messages in the same millisecond still get distinct, ordered ts values; `after`
 * (the newest ts kept from before a restart) is never repeated, even if the clock went back.
 */
export function createTsSource({ clock, after }: { clock: () => number; after?: string | undefined }) {
  const [seconds = '0', fraction = '0'] = (after ?? '0.0').split('.');
  let lastMicros = Number(seconds) * 1_000_000 + Number(fraction.padEnd(6, '0').slice(0, 6));
  if (!Number.isSafeInteger(lastMicros)) lastMicros = 0;
  return {
    next(): string {
      let micros = Math.floor(clock()) * 1000;
      if (micros <= lastMicros) micros = lastMicros + 1;
      lastMicros = micros;
      const seconds = Math.floor(micros / 1_000_000);
      const fraction = String(micros % 1_000_000).padStart(6, '0');
      return `${seconds}.${fraction}`;
    },
  };
}
export type TsSource = ReturnType<typeof createTsSource>;

/** A trigger id shaped like Slack's (`"13345224609.738474920.8088930838d88f008e0"`). */
export function newTriggerId(): string {
  const digits = (n: number) => randomFrom('0123456789', n).replace(/^0/, '1');
  return `${digits(11)}.${digits(9)}.${randomBytes(16).toString('hex')}`;
}

/** A view id shaped like Slack's (`"V0123ABCDEF"`). */
export function newViewId(): string {
  return `V0${randomFrom(UPPER, 9)}`;
}

/** The block id Slack assigns to a block posted without one. */
export function newBlockId(): string {
  return randomFrom(MIXED, 5);
}

/** The action id Slack assigns to an interactive element posted without one. */
export function newActionId(): string {
  return randomFrom(MIXED, 5);
}

/** The secret path segment of a response_url. */
export function newResponseUrlId(): string {
  return randomBytes(12).toString('hex');
}

/** A view hash (Slack uses it for optimistic locking in views.update). */
export function newViewHash(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomFrom(MIXED, 8)}`;
}
