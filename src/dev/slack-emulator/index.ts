/** The Slack emulator: a local Slack for Warden's end-to-end tests and local web console. */
export { createSlackEmulator, type SlackEmulator } from './emulator.ts';
export type {
  ApiCall,
  EmulatorChange,
  EmulatorChannel,
  EmulatorUser,
  EmulatorUsergroup,
  ResponseUrlPost,
  SendResult,
  SentRequest,
  SlackEmulatorOptions,
  StoredEphemeral,
  StoredMessage,
  StoredView,
  SubmitResult,
} from './emulator.types.ts';
export type { EarlyRetry } from './faults.ts';
export type { ClickButtonOptions, SendCommandOptions, SubmitViewOptions } from './interactions.ts';
export { createSandboxPeople, sandboxIds } from './sandbox-workspace.ts';
export { signSlackRequest } from './signing.ts';
export type { SocketDelivery, SocketEnvelope } from './socket-mode.ts';
export {
  type BlockProblem,
  type BlockSurface,
  findBlockProblems,
  validateBlocks,
  validateMessage,
  validateView,
} from './validate-blocks.ts';
