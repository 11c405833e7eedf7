import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isWardenError } from '../../../src/shared/errors.ts';
import { defineTool, type ToolContext } from '../../../src/tools/define.ts';
import { createToolRegistry } from '../../../src/tools/registry.ts';

function echoTool(name: string, calls: unknown[] = []) {
  return defineTool({
    name,
    description: 'echo',
    input: z.strictObject({ text: z.string().max(5), times: z.number().int().default(1) }),
    kind: 'write',
    risk: 'medium',
    reversible: true,
    idempotent: true,
    execute: async (input) => {
      calls.push(input);
      return { summary: input.text.repeat(input.times), data: {} };
    },
  });
}

const context = {} as ToolContext;

describe('createToolRegistry', () => {
  it('exposes metadata only; executors are a separate object', () => {
    const { registry, executors } = createToolRegistry({ tools: [echoTool('echo')] });
    const info = registry.get('echo');
    expect(info).toMatchObject({
      name: 'echo',
      kind: 'write',
      risk: 'medium',
      reversible: true,
      idempotent: true,
    });
    expect(info && 'execute' in info).toBe(false);
    expect(registry.list().some((t) => 'execute' in t)).toBe(false);
    expect(Object.isFrozen(info)).toBe(true);
    expect(registry.get('nope')).toBeNull();
    expect(executors.get('nope')).toBeNull();
    expect(Object.keys(registry)).not.toContain('executors');
    expect(registry.catalog()).toEqual({ echo: { kind: 'write', risk: 'medium', reversible: true } });
  });

  it('rejects duplicate and malformed names', () => {
    expect(() => createToolRegistry({ tools: [echoTool('echo'), echoTool('echo')] })).toThrow(
      expect.objectContaining({ code: 'tools.duplicate_name' }),
    );
    expect(() => createToolRegistry({ tools: [echoTool('Echo Tool')] })).toThrow(
      expect.objectContaining({ code: 'tools.invalid_name' }),
    );
  });

  it('the executor validates its input again and never runs on bad input', async () => {
    const calls: unknown[] = [];
    const { executors } = createToolRegistry({ tools: [echoTool('echo', calls)] });
    const executor = executors.get('echo')!;
    await expect(executor.execute({ text: 'hello!' }, context)).rejects.toSatisfy((e) =>
      isWardenError(e, 'tools.invalid_input'),
    );
    await expect(executor.execute({ text: 'hi', extra: 1 }, context)).rejects.toSatisfy((e) =>
      isWardenError(e, 'tools.invalid_input'),
    );
    expect(calls).toEqual([]);
    await expect(executor.execute({ text: 'ab' }, context)).resolves.toEqual({ summary: 'ab', data: {} });
    expect(calls).toEqual([{ text: 'ab', times: 1 }]);
  });
});
