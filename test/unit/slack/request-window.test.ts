import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { refuseOutsideWindow } from '../../../src/slack/request-window.ts';

/** A request with just the timestamp header, and a response that records what was written. */
function exchange(timestamp: string | undefined) {
  const req = {
    headers: timestamp === undefined ? {} : { 'x-slack-request-timestamp': timestamp },
  } as IncomingMessage;
  const written: { status?: number; ended: boolean } = { ended: false };
  const res = {
    writeHead: (status: number) => {
      written.status = status;
    },
    end: () => {
      written.ended = true;
    },
  } as unknown as ServerResponse;
  return { req, res, written };
}

const nowMs = 1_800_000_000_000;
const nowSeconds = nowMs / 1000;

describe('the ±300 s request window', () => {
  it('lets through requests stamped up to 300 s either side of now', () => {
    for (const offset of [-300, -1, 0, 1, 300]) {
      const { req, res, written } = exchange(String(nowSeconds + offset));
      expect(refuseOutsideWindow({ req, res, nowMs })).toBe(false);
      expect(written.ended).toBe(false);
    }
  });

  it('answers 401 with no body to requests stamped more than 300 s in the past or the future, or not at all', () => {
    for (const timestamp of [String(nowSeconds - 301), String(nowSeconds + 301), 'soon', undefined]) {
      const { req, res, written } = exchange(timestamp);
      expect(refuseOutsideWindow({ req, res, nowMs })).toBe(true);
      expect(written).toEqual({ status: 401, ended: true });
    }
  });
});
