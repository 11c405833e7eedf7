import type { ToolSpec } from '../tool-spec.ts';
import { alertGetIncidentTool } from './get-incident.tool.ts';

/** The tools over incidents Warden itself records (opened by Alertmanager) in the catalog world. */
export const INCIDENT_TOOLS: readonly ToolSpec[] = [alertGetIncidentTool];
