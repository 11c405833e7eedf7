import type { ToolSpec } from '../tool-spec.ts';
import { commentGitHubIssueTool } from './comment-issue.tool.ts';
import { compareCommitsTool } from './compare-commits.tool.ts';
import { dispatchRollbackWorkflowTool } from './dispatch-rollback.tool.ts';
import { listDeploymentsTool } from './list-deployments.tool.ts';
import { listWorkflowRunsTool } from './list-workflow-runs.tool.ts';

/** The GitHub tools of the catalog world (its issues are also create_ticket's, in `tickets/`). */
export const GITHUB_TOOLS: readonly ToolSpec[] = [
  listDeploymentsTool,
  compareCommitsTool,
  listWorkflowRunsTool,
  commentGitHubIssueTool,
  dispatchRollbackWorkflowTool,
];
