/** The GitHub emulator: a fake GitHub REST API (2022-11-28), as a GitHub App sees it, for Warden's tests. */
export type { AuthKind } from './access.ts';
export type { AppSeed, InstallationSeed, InstallationToken } from './auth.ts';
export type { FailNext, FaultMatch, GitHubFaults } from './faults.ts';
export type { CommitSeed, StoredCommit } from './git.ts';
export { generateAppKeys, SAMPLE, seedSampleWorld, startSampleGitHub } from './sample-world.ts';
export {
  createGitHubEmulator,
  type GitHubCall,
  type GitHubEmulator,
  type GitHubEmulatorOptions,
} from './server.ts';
export type {
  GitHubStore,
  IssueSeed,
  Permission,
  Permissions,
  RepositorySeed,
  StoredComment,
  StoredIssue,
  StoredLabel,
  StoredRepository,
} from './store.ts';
export type {
  DeploymentSeed,
  DeploymentState,
  RunSeed,
  RunStatus,
  StoredDeployment,
  StoredRun,
  StoredWorkflow,
  WorkflowInput,
  WorkflowSeed,
} from './store.work.ts';
