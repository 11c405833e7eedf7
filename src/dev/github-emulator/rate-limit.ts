/** GitHub's primary rate limit for an installation: `limit` requests per window, counted per installation. */
export function createRateLimiter({
  limit,
  windowSeconds,
  now,
}: {
  limit: number;
  windowSeconds: number;
  now: () => Date;
}) {
  const windows = new Map<number, { startedAt: number; used: number }>();

  return {
    /** Counts one request; the `x-ratelimit-*` headers to send and whether it is over the limit. */
    take(installationId: number): { headers: Record<string, string>; exceeded: boolean } {
      const at = now().getTime();
      let window = windows.get(installationId);
      if (!window || at - window.startedAt >= windowSeconds * 1000) {
        window = { startedAt: at, used: 0 };
        windows.set(installationId, window);
      }
      const exceeded = window.used >= limit;
      if (!exceeded) window.used += 1;
      return {
        exceeded,
        headers: {
          'x-ratelimit-limit': String(limit),
          'x-ratelimit-remaining': String(limit - window.used),
          'x-ratelimit-reset': String(Math.ceil((window.startedAt + windowSeconds * 1000) / 1000)),
          'x-ratelimit-used': String(window.used),
          'x-ratelimit-resource': 'core',
        },
      };
    },
  };
}
