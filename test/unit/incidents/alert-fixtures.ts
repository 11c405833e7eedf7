/** A body shaped as Alertmanager 0.25 sends it (payload version 4). */
export function realShapedBody(overrides: Record<string, unknown> = {}) {
  return {
    receiver: 'warden',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HighErrors', service: 'checkout', env: 'production', severity: 'page' },
        annotations: { summary: 'Error ratio above 5%' },
        startsAt: '2026-11-24T08:59:00.000Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
        fingerprint: 'a1b2c3d4e5f60718',
      },
    ],
    groupLabels: { alertname: 'HighErrors' },
    commonLabels: { alertname: 'HighErrors', service: 'checkout', env: 'production', severity: 'page' },
    commonAnnotations: { summary: 'Error ratio above 5%' },
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}:{alertname="HighErrors"}',
    truncatedAlerts: 0,
    ...overrides,
  };
}
