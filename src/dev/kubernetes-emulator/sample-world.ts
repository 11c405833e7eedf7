import type { SeedSpec } from './seed.types.ts';

export const CHECKOUT_IMAGES = {
  previous: 'registry.example.com/shop/checkout:v2.13.4',
  current: 'registry.example.com/shop/checkout:v2.14.0',
} as const;

const healthyLines = [
  'level=info msg="starting checkout" version=v2.14.0',
  'level=info msg="connected to postgres" host=orders-db.shop.svc',
  'level=info msg="listening" addr=:8080',
  'level=info msg="POST /v1/checkout" status=200 duration_ms=84',
  'level=info msg="POST /v1/checkout" status=200 duration_ms=91',
];

const crashLines = [
  'level=info msg="starting checkout" version=v2.14.0',
  'level=info msg="connected to postgres" host=orders-db.shop.svc',
  'level=error msg="payment gateway config invalid" err="PAYMENTS_API_URL is not set"',
  'panic: payments client: missing base URL',
  'goroutine 1 [running]:',
  'main.main()',
  '\t/src/cmd/checkout/main.go:57 +0x1d4',
];

/**
 * The `shop` namespace of the incident stories: `checkout` at revision 2 (v2.14.0) after revision 1
 * (v2.13.4), three pods of which one is in CrashLoopBackOff (7 restarts, exit 1) with current and
 * previous logs and BackOff events; `cart` healthy; an HPA on checkout; a `payments-api` secret.
 */
export function sampleShopWorld(): SeedSpec {
  return {
    namespace: 'shop',
    deployments: [
      {
        name: 'checkout',
        replicas: 3,
        revisions: [CHECKOUT_IMAGES.previous, CHECKOUT_IMAGES.current],
        pods: [
          { logs: { checkout: healthyLines } },
          { logs: { checkout: healthyLines } },
          {
            health: { state: 'crashloop', restartCount: 7, exitCode: 1, reason: 'Error' },
            logs: { checkout: crashLines },
            previousLogs: { checkout: crashLines },
            events: [
              {
                type: 'Warning',
                reason: 'BackOff',
                message: ({ name, namespace, uid }) =>
                  `Back-off restarting failed container checkout in pod ${name}_${namespace}(${uid})`,
                count: 31,
                fieldPath: 'spec.containers{checkout}',
              },
              {
                type: 'Normal',
                reason: 'Pulled',
                message: `Container image "${CHECKOUT_IMAGES.current}" already present on machine`,
                count: 8,
                fieldPath: 'spec.containers{checkout}',
              },
            ],
          },
        ],
      },
      { name: 'cart', replicas: 2, revisions: ['registry.example.com/shop/cart:v1.8.2'] },
    ],
    hpas: [
      {
        name: 'checkout',
        target: 'checkout',
        minReplicas: 3,
        maxReplicas: 10,
        cpu: { targetUtilization: 70, currentUtilization: 82 },
        currentReplicas: 3,
        desiredReplicas: 4,
      },
    ],
    secrets: [{ name: 'payments-api', stringData: { url: 'https://payments.example.com' } }],
  };
}
