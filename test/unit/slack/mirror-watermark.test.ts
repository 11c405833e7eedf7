import { describe, expect, it } from 'vitest';
import { nextMirrorWatermark } from '../../../src/slack/sync/sync.repository.ts';

const page = (...seqs: number[]) => seqs.map((seq) => ({ event: { seq } }));

describe('the thread mirror watermark', () => {
  it('moves to the head when the page was not full and everything on it is in its thread', () => {
    expect(
      nextMirrorWatermark({ after: 10, head: 90, targets: page(12, 15), limit: 50, stillWaiting: new Set() }),
    ).toBe(90);
  });

  it('moves to the head when nothing was waiting at all', () => {
    expect(
      nextMirrorWatermark({ after: 10, head: 90, targets: [], limit: 50, stillWaiting: new Set() }),
    ).toBe(90);
  });

  it('stops right before the first event still waiting, so the next pass reads it again', () => {
    expect(
      nextMirrorWatermark({
        after: 10,
        head: 90,
        targets: page(12, 15, 20),
        limit: 50,
        stillWaiting: new Set([20, 15]),
      }),
    ).toBe(14);
  });

  it('stops at the last event of a full page, since events past it were not read', () => {
    expect(
      nextMirrorWatermark({
        after: 10,
        head: 900,
        targets: page(11, 12, 13),
        limit: 3,
        stillWaiting: new Set(),
      }),
    ).toBe(13);
  });

  it('never moves back before where the pass started', () => {
    expect(
      nextMirrorWatermark({ after: 95, head: 90, targets: [], limit: 50, stillWaiting: new Set() }),
    ).toBe(95);
  });
});
