import { describe, expect, it } from 'vitest';
import { modeCapIn, modeCapOf, storedModeCap } from '../../../src/policy/mode-cap.ts';

describe('a run’s mode cap per environment', () => {
  it('is stored as a mode when it is one for every environment, else per environment', () => {
    expect(storedModeCap(null)).toBeNull();
    expect(storedModeCap('read_only')).toBe('read_only');
    expect(storedModeCap({ all: 'shadow', environments: {} })).toBe('shadow');
    const stored = storedModeCap({
      all: null,
      environments: { staging: 'human_in_the_loop', production: 'shadow' },
    });
    expect(stored).toBe('{"all":null,"environments":{"production":"shadow","staging":"human_in_the_loop"}}');
    expect(modeCapOf(stored)).toEqual({
      all: null,
      environments: { production: 'shadow', staging: 'human_in_the_loop' },
    });
  });

  it('decides each environment under its own cap, the stricter of it and the run-wide one', () => {
    const cap = { all: 'human_in_the_loop' as const, environments: { production: 'shadow' as const } };
    expect(modeCapIn({ cap, environment: 'production' })).toBe('shadow');
    expect(modeCapIn({ cap, environment: 'staging' })).toBe('human_in_the_loop');
    expect(
      modeCapIn({ cap: { all: null, environments: { production: 'shadow' } }, environment: 'staging' }),
    ).toBeNull();
    expect(
      modeCapIn({
        cap: { all: 'read_only', environments: { production: 'human_in_the_loop' } },
        environment: 'production',
      }),
    ).toBe('read_only');
    expect(modeCapIn({ cap: 'read_only', environment: 'anywhere' })).toBe('read_only');
    expect(modeCapIn({ cap: null, environment: 'production' })).toBeNull();
  });

  it('reads anything it does not understand as read_only everywhere (fail closed)', () => {
    for (const stored of [
      'root',
      '{"all":"god","environments":{}}',
      '{"environments":{"production":1}}',
      '{',
    ])
      expect(modeCapOf(stored)).toBe('read_only');
    expect(modeCapOf(undefined)).toBeNull();
  });
});
