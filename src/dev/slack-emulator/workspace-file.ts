import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { EmulatorChange, JsonObject } from './emulator.types.ts';
import type { EmulatorStore, WorkspaceSnapshot } from './store.ts';

// The emulated workspace's history on disk, so the local console keeps its channels across restarts:
// one JSON file, rewritten whole (temp file + rename) shortly after each change and on stop.

const FORMAT = 'warden.slack-emulator.workspace/1';
const json = z.custom<JsonObject>((value) => typeof value === 'object' && value !== null);
const version = z.object({ text: z.string(), blocks: z.array(json), editedAt: z.number() });
const message = z.object({
  channel: z.string(),
  ts: z.string().regex(/^\d{1,12}\.\d{6}$/),
  threadTs: z.string().nullable(),
  text: z.string(),
  blocks: z.array(json),
  user: z.string(),
  botId: z.string().nullable(),
  metadata: json.nullable(),
  replyBroadcast: z.boolean(),
  edited: z.boolean(),
  history: z.array(version),
  postedAt: z.number(),
});
const view = z.object({
  id: z.string(),
  user: z.string(),
  view: json,
  openedAt: z.number(),
  triggerId: z.string().nullable(),
});
const fileSchema = z.object({
  format: z.literal(FORMAT),
  messages: z.array(message),
  homeViews: z.array(view),
});

/** Changes that alter what the file keeps; API calls and ephemerals are not kept. */
const KEPT: ReadonlySet<EmulatorChange['kind']> = new Set([
  'message_posted',
  'message_updated',
  'message_deleted',
  'home_published',
]);

/**
 * The workspace saved in `path`, or undefined when there is none yet. A file that is not one (damaged,
 * or from another version) is moved aside to `<path>.unreadable` and the workspace starts empty, so a
 * bad file never stops local mode; `onProblem` says so.
 */
export function loadWorkspaceFile({
  path,
  onProblem,
}: {
  path: string;
  onProblem: (message: string) => void;
}): WorkspaceSnapshot | undefined {
  if (!existsSync(path)) return undefined;
  let problem: string;
  try {
    const parsed = fileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) return { messages: parsed.data.messages, homeViews: parsed.data.homeViews };
    problem = parsed.error.issues[0]?.message ?? 'unexpected content';
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  renameSync(path, `${path}.unreadable`);
  onProblem(
    `the local console's history in ${path} could not be read (${problem}); it was moved to ${path}.unreadable and the channels start empty`,
  );
  return undefined;
}

/** The newest ts in a snapshot, so new messages are never given one from before the restart. */
export function newestTs(snapshot: WorkspaceSnapshot | undefined): string | undefined {
  let newest: string | undefined;
  for (const m of snapshot?.messages ?? [])
    if (newest === undefined || Number(m.ts) > Number(newest)) newest = m.ts;
  return newest;
}

const contents = (snapshot: WorkspaceSnapshot) => `${JSON.stringify({ format: FORMAT, ...snapshot })}\n`;

/**
 * Saves the store to `path` `debounceMs` after a change (one write for a burst of changes), atomically:
 * a reader or a crash sees the old file or the new one, never half of one. `flush()` writes what is
 * pending now.
 */
export function watchWorkspaceFile({
  path,
  store,
  debounceMs = 200,
  onProblem,
}: {
  path: string;
  store: EmulatorStore;
  debounceMs?: number;
  onProblem: (message: string) => void;
}) {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let writing: Promise<void> = Promise.resolve();

  const write = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (!dirty) return writing;
    dirty = false;
    const text = contents(store.snapshot());
    writing = writing
      .then(async () => {
        await writeFile(temp, text);
        await rename(temp, path);
      })
      .catch((error: unknown) => {
        dirty = true;
        onProblem(`could not save the local console's history to ${path}: ${String(error)}`);
      });
    return writing;
  };
  const onChange = (change: EmulatorChange) => {
    if (!KEPT.has(change.kind)) return;
    dirty = true;
    timer ??= setTimeout(() => void write(), debounceMs);
  };
  store.events.on('change', onChange);

  return { flush: write };
}
