import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorChange, SlackEmulator } from '../slack-emulator/index.ts';

const HEARTBEAT_MS = 15_000;
/** Changes a person can see; API call records and response_url logs are noise for the page. */
const VISIBLE = new Set<EmulatorChange['kind']>([
  'message_posted',
  'message_updated',
  'message_deleted',
  'ephemeral_posted',
  'ephemeral_updated',
  'ephemeral_deleted',
  'view_opened',
  'view_updated',
  'view_closed',
]);

/**
 * `GET /console/api/stream`: Server-Sent Events, one `change` per visible emulator change. The page
 * re-reads what it shows on each one (it falls back to polling when the stream drops).
 */
export function createChangeStream({ emulator }: { emulator: SlackEmulator }) {
  const open = new Set<ServerResponse>();

  function handler(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\nevent: ready\ndata: {}\n\n');
    const onChange = (change: EmulatorChange) => {
      if (VISIBLE.has(change.kind))
        res.write(`event: change\ndata: ${JSON.stringify({ kind: change.kind })}\n\n`);
    };
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const done = () => {
      clearInterval(heartbeat);
      emulator.events.off('change', onChange);
      open.delete(res);
    };
    emulator.events.on('change', onChange);
    open.add(res);
    req.on('close', done);
    res.on('close', done);
  }

  return {
    handler,
    /** Ends every open stream (on shutdown), so the HTTP server can close. */
    closeAll(): void {
      for (const res of open) res.end();
      open.clear();
    },
  };
}
