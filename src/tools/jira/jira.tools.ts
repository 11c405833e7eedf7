import type { ToolSpec } from '../tool-spec.ts';
import { addCommentTool } from './add-comment.tool.ts';
import { getIssueTool } from './get-issue.tool.ts';
import { searchIssuesTool } from './search-issues.tool.ts';
import { transitionIssueTool } from './transition-issue.tool.ts';

/** The Jira tools of the catalog world; one line per tool (create_ticket is in `tickets/`, for Jira and GitHub). */
export const JIRA_TOOLS: readonly ToolSpec[] = [
  getIssueTool,
  searchIssuesTool,
  addCommentTool,
  transitionIssueTool,
];
