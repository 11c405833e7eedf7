import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Json, JsonObject, Workspace } from './emulator.types.ts';
import { isJsonObject } from './params.ts';
import { acceptKey, createFrameReader, encodeFrame, OPCODE } from './websocket-frames.ts';

/** What Slack sends over a Socket Mode connection: one request, wrapped with the id the app acks. */
export type SocketEnvelope = {
  envelope_id: string;
  type: 'slash_commands' | 'interactive' | 'events_api';
  payload: JsonObject;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
};

/** A delivered envelope, the app's ack (`payload` of its answer, `{}` when empty) and how long it took. */
export type SocketDelivery = { envelope: SocketEnvelope; ack: Json; ackMs: number };

type Connection = { socket: Duplex; send: (text: string) => void };

const ACK_TIMEOUT_MS = 3_000;

/**
 * Slack's Socket Mode side: `apps.connections.open` hands out one-use WebSocket URLs, the app connects,
 * gets `hello`, and receives envelopes it must ack with their `envelope_id`. Requests are spread over
 * the open connections in turn, as Slack does.
 */
export function createSocketMode({ workspace }: { workspace: Workspace }) {
  const tickets = new Set<string>();
  const connections: Connection[] = [];
  const waiting = new Map<string, (ack: Json) => void>();
  let turn = 0;

  function onText(text: string): void {
    let message: Json;
    try {
      message = JSON.parse(text) as Json;
    } catch {
      return;
    }
    if (!isJsonObject(message) || typeof message.envelope_id !== 'string') return;
    waiting.get(message.envelope_id)?.(message.payload ?? {});
  }

  function accept(socket: Duplex, head: Buffer): void {
    const connection: Connection = {
      socket,
      send: (text) => socket.write(encodeFrame({ opcode: OPCODE.text, payload: Buffer.from(text, 'utf8') })),
    };
    connections.push(connection);
    const read = createFrameReader((frame) => {
      if (frame.opcode === OPCODE.ping)
        socket.write(encodeFrame({ opcode: OPCODE.pong, payload: frame.payload }));
      else if (frame.opcode === OPCODE.close)
        socket.end(encodeFrame({ opcode: OPCODE.close, payload: frame.payload.subarray(0, 2) }));
      else if (frame.opcode === OPCODE.text) onText(frame.payload.toString('utf8'));
    });
    socket.on('data', read);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => connections.splice(connections.indexOf(connection), 1));
    if (head.length > 0) read(head);
    connection.send(
      JSON.stringify({
        type: 'hello',
        num_connections: connections.length,
        debug_info: { host: 'applink-emulator', build_number: 1, approximate_connection_time: 18_060 },
        connection_info: { app_id: workspace.appId },
      }),
    );
  }

  return {
    /** `apps.connections.open`: a WebSocket URL that works once. */
    openConnectionUrl(baseUrl: string): string {
      const ticket = randomBytes(16).toString('hex');
      tickets.add(ticket);
      return `${baseUrl.replace(/^http/, 'ws')}/socket-mode?ticket=${ticket}`;
    },

    /** The HTTP upgrade to a WebSocket; false when the request is not for Socket Mode. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/socket-mode') return false;
      const ticket = url.searchParams.get('ticket') ?? '';
      const key = req.headers['sec-websocket-key'];
      if (
        !tickets.delete(ticket) ||
        typeof key !== 'string' ||
        req.headers.upgrade?.toLowerCase() !== 'websocket'
      ) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return true;
      }
      socket.write(
        [
          'HTTP/1.1 101 Switching Protocols',
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Accept: ${acceptKey(key)}`,
          '',
          '',
        ].join('\r\n'),
      );
      accept(socket, head);
      return true;
    },

    /** Sends one envelope over the next open connection and waits for the app's ack. */
    async deliver(envelope: Omit<SocketEnvelope, 'envelope_id'>): Promise<SocketDelivery> {
      const connection = connections[turn++ % Math.max(1, connections.length)];
      if (!connection) throw new Error('slack emulator: no Socket Mode connection is open');
      const sent: SocketEnvelope = { envelope_id: randomUUID(), ...envelope };
      const started = performance.now();
      const acked = new Promise<Json>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(sent.envelope_id);
          reject(new Error(`slack emulator: envelope ${sent.envelope_id} was not acked within 3 s`));
        }, ACK_TIMEOUT_MS);
        waiting.set(sent.envelope_id, (ack) => {
          clearTimeout(timer);
          waiting.delete(sent.envelope_id);
          resolve(ack);
        });
      });
      connection.send(JSON.stringify(sent));
      const ack = await acked;
      return { envelope: sent, ack, ackMs: performance.now() - started };
    },

    connectionCount: (): number => connections.length,

    /** Closes every connection with a close frame, as Slack does when it recycles them (1001: going away). */
    closeAll(): void {
      const goingAway = Buffer.alloc(2);
      goingAway.writeUInt16BE(1001, 0);
      for (const { socket } of [...connections]) {
        socket.end(encodeFrame({ opcode: OPCODE.close, payload: goingAway }));
        setTimeout(() => socket.destroy(), 1_000).unref();
      }
    },
  };
}
export type SocketMode = ReturnType<typeof createSocketMode>;
