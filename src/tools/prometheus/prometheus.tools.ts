import type { ToolSpec } from '../tool-spec.ts';
import { serviceHealthTool } from './get-service-health.tool.ts';
import { queryMetricTool } from './query-metric.tool.ts';

/** The prometheus tools of the catalog world; one line per tool. */
export const PROMETHEUS_TOOLS: readonly ToolSpec[] = [queryMetricTool, serviceHealthTool];
