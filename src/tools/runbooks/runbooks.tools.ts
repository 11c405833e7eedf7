import type { ToolSpec } from '../tool-spec.ts';
import { requestRunbookTool } from './request-runbook.tool.ts';

/** The runbook tools of the catalog world; one line per tool. */
export const RUNBOOK_TOOLS: readonly ToolSpec[] = [requestRunbookTool];
