import type { ToolSpec } from '../tool-spec.ts';
import { acknowledgeIncidentTool } from './acknowledge-incident.tool.ts';
import { addIncidentNoteTool } from './add-incident-note.tool.ts';

/** The PagerDuty writes (its incidents are read by the catalog world's `get_incident`). */
export const PAGERDUTY_TOOLS: readonly ToolSpec[] = [addIncidentNoteTool, acknowledgeIncidentTool];
