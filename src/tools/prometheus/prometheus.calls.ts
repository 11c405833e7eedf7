import { z } from 'zod';
import type { ServiceTarget } from '../../catalog/catalog.ts';
import type { PrometheusClient } from '../../systems/prometheus.client.ts';
import { connectionUnavailable, notInCatalog } from '../catalog.calls.ts';
import type { ToolDeps } from '../tool-spec.ts';

/** A named query of the catalog, never PromQL. */
export const queryNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a query name from the service catalog, such as error_ratio');

/** The Prometheus client for a service here, or the refusal that says why there is none. */
export function prometheusFor({ target, deps }: { target: ServiceTarget; deps: ToolDeps }): PrometheusClient {
  const prometheus = target.systems.prometheus;
  if (!prometheus) throw notInCatalog({ target, system: 'prometheus' });
  const client = deps.systems.prometheus(prometheus.connection);
  if (!client) throw connectionUnavailable({ connection: prometheus.connection });
  return client;
}

/** A sample value as JSON holds it: a number to six significant digits, or `NaN`, `+Inf`, `-Inf`. */
export function jsonValue(value: number): number | 'NaN' | '+Inf' | '-Inf' {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return roundValue(value);
}

/** A finite value to six significant digits; null for NaN and ±Inf (no data, or 0/0). */
export function finiteValue(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : roundValue(value);
}

/** A value for a sentence: `0.25`, `1.23e+6`, `NaN`. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(jsonValue(value));
  return String(Number(value.toPrecision(4)));
}

/** `{code="500"}`, or the empty string for a series without labels. */
export function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

function roundValue(value: number): number {
  return Number(value.toPrecision(6));
}
