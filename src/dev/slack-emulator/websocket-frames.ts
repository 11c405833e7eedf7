import { createHash } from 'node:crypto';

/** The server half of RFC 6455 that Socket Mode needs: the handshake key and text/control frames. */

const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OPCODE = { continuation: 0x0, text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

export type Frame = { opcode: number; payload: Buffer };

/** `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(`${key}${HANDSHAKE_GUID}`).digest('base64');
}

/** One unfragmented frame from the server (servers never mask). */
export function encodeFrame({ opcode, payload }: Frame): Buffer {
  const length = payload.length;
  const header = Buffer.alloc(length < 126 ? 2 : length < 65_536 ? 4 : 10);
  header.writeUInt8(0x80 | opcode, 0);
  if (length < 126) {
    header.writeUInt8(length, 1);
  } else if (length < 65_536) {
    header.writeUInt8(126, 1);
    header.writeUInt16BE(length, 2);
  } else {
    header.writeUInt8(127, 1);
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

/**
 * Reads the client's frames from the bytes as they arrive (any split), unmasks them, joins fragmented
 * messages, and calls `onFrame` for each complete text message or control frame.
 */
export function createFrameReader(onFrame: (frame: Frame) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  let fragments: Buffer[] = [];
  let fragmentedOpcode: number = OPCODE.text;
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const first = buffered.readUInt8(0);
      const second = buffered.readUInt8(1);
      let length = second & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffered.length < 4) return;
        length = buffered.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffered.length < 10) return;
        length = Number(buffered.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (second & 0x80) !== 0;
      const start = offset + (masked ? 4 : 0);
      if (buffered.length < start + length) return;
      const payload = Buffer.from(buffered.subarray(start, start + length));
      if (masked) {
        const mask = buffered.subarray(offset, offset + 4);
        for (let i = 0; i < payload.length; i += 1)
          payload.writeUInt8(payload.readUInt8(i) ^ mask.readUInt8(i % 4), i);
      }
      buffered = buffered.subarray(start + length);
      const fin = (first & 0x80) !== 0;
      const opcode = first & 0x0f;
      if (opcode >= 0x8) {
        onFrame({ opcode, payload });
      } else if (opcode === OPCODE.continuation) {
        fragments.push(payload);
        if (fin) {
          onFrame({ opcode: fragmentedOpcode, payload: Buffer.concat(fragments) });
          fragments = [];
        }
      } else if (!fin) {
        fragmentedOpcode = opcode;
        fragments = [payload];
      } else {
        onFrame({ opcode, payload });
      }
    }
  };
}
