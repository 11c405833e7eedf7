/** The Jira emulator: a fake Jira Cloud for the tests of Warden's Jira tools. */
export type { JqlClause } from './jql.ts';
export type { Account as JiraAccount } from './routes.ts';
export { createJiraEmulator, type JiraCall, type JiraEmulator, type JiraEmulatorOptions } from './server.ts';
export type { StoredIssue } from './store.ts';
