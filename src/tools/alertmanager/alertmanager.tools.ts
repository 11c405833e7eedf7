import type { ToolSpec } from '../tool-spec.ts';
import { createSilenceTool } from './create-silence.tool.ts';
import { expireSilenceTool } from './expire-silence.tool.ts';
import { listAlertsTool } from './list-alerts.tool.ts';
import { listSilencesTool } from './list-silences.tool.ts';

/** The alertmanager tools of the catalog world; one line per tool. */
export const ALERTMANAGER_TOOLS: readonly ToolSpec[] = [
  listAlertsTool,
  listSilencesTool,
  createSilenceTool,
  expireSilenceTool,
];
