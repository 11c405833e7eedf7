import type { ToolSpec } from '../tool-spec.ts';
import { getDeploymentTool } from './get-deployment.tool.ts';
import { getPodLogsTool } from './get-pod-logs.tool.ts';
import { getRolloutHistoryTool } from './get-rollout-history.tool.ts';
import { listEventsTool } from './list-events.tool.ts';
import { listHpasTool } from './list-hpas.tool.ts';
import { listPodsTool } from './list-pods.tool.ts';
import { rolloutRestartTool } from './rollout-restart.tool.ts';
import { rolloutUndoTool } from './rollout-undo.tool.ts';
import { scaleDeploymentTool } from './scale-deployment.tool.ts';

/** The kubernetes tools of the catalog world; one line per tool. */
export const KUBERNETES_TOOLS: readonly ToolSpec[] = [
  listPodsTool,
  getDeploymentTool,
  getRolloutHistoryTool,
  listEventsTool,
  getPodLogsTool,
  listHpasTool,
  rolloutRestartTool,
  scaleDeploymentTool,
  rolloutUndoTool,
];
