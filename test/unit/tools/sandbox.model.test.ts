import { describe, expect, it } from 'vitest';
import {
  computeHealth,
  healedMetrics,
  podCounts,
  restartPods,
  rolloutPods,
  scalePods,
} from '../../../src/tools/sandbox/sandbox.model.ts';

const pods = [
  { name: 'a', status: 'Running', restarts: 0 },
  { name: 'b', status: 'CrashLoopBackOff', restarts: 17 },
  { name: 'c', status: 'Running', restarts: 1 },
];

describe('sandbox model', () => {
  it('computes health from pods and error rate', () => {
    expect(computeHealth({ pods, replicas: 3, errorRate: 0.001 })).toBe('degraded');
    const running = pods.map((p) => ({ ...p, status: 'Running' }));
    expect(computeHealth({ pods: running, replicas: 3, errorRate: 0.001 })).toBe('healthy');
    expect(computeHealth({ pods: running, replicas: 3, errorRate: 0.08 })).toBe('degraded');
    expect(computeHealth({ pods: [], replicas: 0, errorRate: 0 })).toBe('down');
  });

  it('a restart on a good version clears the crash loop and resets counters', () => {
    expect(restartPods({ pods, faulty: false })).toEqual([
      { name: 'a', status: 'Running', restarts: 0 },
      { name: 'b', status: 'Running', restarts: 0 },
      { name: 'c', status: 'Running', restarts: 0 },
    ]);
  });

  it('a restart on a faulty version brings the crash loop back', () => {
    const after = restartPods({ pods, faulty: true });
    expect(after.map((p) => p.status)).toEqual(['Running', 'CrashLoopBackOff', 'Running']);
  });

  it('scaling down removes unhealthy pods first; scaling up adds running pods', () => {
    expect(scalePods({ service: 's', version: 'v1.0.0', pods, replicas: 2 }).map((p) => p.name)).toEqual([
      'a',
      'c',
    ]);
    const up = scalePods({ service: 's', version: 'v1.0.0', pods, replicas: 5 });
    expect(up).toHaveLength(5);
    expect(up.slice(3).every((p) => p.status === 'Running' && p.name.startsWith('s-'))).toBe(true);
    expect(new Set(up.map((p) => p.name)).size).toBe(5);
    expect(scalePods({ service: 's', version: 'v1.0.0', pods, replicas: 0 })).toEqual([]);
  });

  it('a rollout of a faulty version crash-loops a third of the pods', () => {
    expect(podCounts(rolloutPods({ service: 's', version: 'v1.0.0', replicas: 6, faulty: true }))).toEqual({
      running: 4,
      crashLooping: 2,
      total: 6,
    });
    expect(
      podCounts(rolloutPods({ service: 's', version: 'v1.0.0', replicas: 6, faulty: false })).running,
    ).toBe(6);
  });

  it('healing never makes metrics worse', () => {
    expect(healedMetrics({ errorRate: 0.084, latencyP99Ms: 2350 })).toEqual({
      errorRate: 0.002,
      latencyP99Ms: 240,
    });
    expect(healedMetrics({ errorRate: 0, latencyP99Ms: 90 })).toEqual({ errorRate: 0, latencyP99Ms: 90 });
  });
});
