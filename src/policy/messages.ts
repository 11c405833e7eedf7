import type { KillView, OpenBreaker } from './decide.types.ts';

/** One sentence saying the kill switch is engaged, by whom and why. */
export function killSwitchMessage({ kill }: { kill: KillView }): string {
  const scope =
    !kill.scope || kill.scope === 'global' ? 'for every agent' : `for ${kill.scope.replace(/^agent:/, '')}`;
  const by = kill.by ? ` by ${kill.by}` : '';
  const reason = kill.reason ? ` (${kill.reason})` : '';
  return `The kill switch is engaged ${scope}${by}${reason}, so nothing runs until an owner resumes it.`;
}

/** One sentence saying a breaker is open and what tripped it. */
export function breakerOpenMessage({ breaker, subject }: { breaker: OpenBreaker; subject: string }): string {
  const detail = breaker.message.trim().replace(/\.$/, '');
  return `The circuit breaker "${breaker.name}" is open, so ${subject}: ${detail}.`;
}
