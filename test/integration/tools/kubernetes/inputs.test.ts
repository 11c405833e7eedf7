import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KUBERNETES_TOOLS } from '../../../../src/tools/kubernetes/kubernetes.tools.ts';

type Property = {
  type?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  description?: string;
};

describe('the Kubernetes tools’ inputs', () => {
  it('are declared as the brief says: names, kinds, risks, reversibility', () => {
    expect(
      Object.fromEntries(
        KUBERNETES_TOOLS.map((t) => [
          t.info.name,
          [t.info.kind, t.info.risk, t.info.reversible, t.info.idempotent],
        ]),
      ),
    ).toEqual({
      list_pods: ['read', 'low', true, true],
      get_deployment: ['read', 'low', true, true],
      get_rollout_history: ['read', 'low', true, true],
      list_events: ['read', 'low', true, true],
      get_pod_logs: ['read', 'low', true, true],
      list_hpas: ['read', 'low', true, true],
      rollout_restart: ['write', 'medium', true, true],
      scale_deployment: ['write', 'medium', true, true],
      rollout_undo: ['write', 'high', true, true],
    });
    for (const tool of KUBERNETES_TOOLS) {
      expect(tool.system).toBe('kubernetes');
      expect(tool.worlds).toEqual(['catalog']);
    }
  });

  // What the model sees is the JSON schema: every argument flat, bounded and described.
  it.each(KUBERNETES_TOOLS.map((t) => [t.info.name, t] as const))(
    '%s starts with service and takes only flat, bounded, described arguments',
    (_name, tool) => {
      const schema = z.toJSONSchema(tool.info.input, { io: 'input' }) as {
        properties: Record<string, Property>;
        additionalProperties: boolean;
      };
      expect(Object.keys(schema.properties)[0]).toBe('service');
      expect(schema.additionalProperties).toBe(false);
      for (const [key, p] of Object.entries(schema.properties)) {
        expect(p.description, `${key} is described for the model`).toBeTruthy();
        if (p.type === 'string') expect(p.pattern, `${key} has a pattern`).toBeTruthy();
        else if (p.type === 'integer' || p.type === 'number') {
          expect(p.minimum, key).toBeTypeOf('number');
          expect(p.maximum, key).toBeTypeOf('number');
        } else expect(p.type === 'boolean' || Array.isArray(p.enum), `${key} is flat`).toBe(true);
      }
      expect(tool.info.input.safeParse({ service: 'checkout', namespace: 'kube-system' }).success).toBe(
        false,
      );
      expect(tool.info.input.safeParse({ service: 'checkout,app!=x' }).success).toBe(false);
    },
  );
});
