import type { JsonObject, Workspace } from '../emulator.types.ts';
import type { Params } from '../params.ts';
import type { TsSource } from '../slack-ids.ts';
import type { EmulatorStore } from '../store.ts';

/** What a Web API method handler gets: the call's arguments and the emulated workspace. */
export type MethodContext = {
  params: Params;
  workspace: Workspace;
  store: EmulatorStore;
  clock: () => number;
  tsSource: TsSource;
};

/** A Web API method: arguments in, Slack's JSON answer out (`ok` decides success). */
export type MethodHandler = (context: MethodContext) => JsonObject;

/** Slack's error answer: HTTP 200 with `{ ok: false, error }`. */
export function slackError(error: string, extra: JsonObject = {}): JsonObject {
  return { ok: false, error, ...extra };
}
