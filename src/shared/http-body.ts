import type { IncomingMessage } from 'node:http';

/** The body, or 'too_large' as soon as it passes the limit (the rest is read and dropped). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: Buffer | 'too_large') => {
      done = true;
      resolve(result);
    };
    if (Number(req.headers['content-length']) > limit) finish('too_large');
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish('too_large');
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) finish(Buffer.concat(chunks));
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!done) reject(new Error('the request was closed before its body arrived'));
    });
  });
}

/** A request header's value (the first, when it was sent more than once). */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
