import type { Charter } from '../../policy/charter.schemas.ts';
import type { EmulatorChannel, EmulatorUser } from '../slack-emulator/index.ts';
import type { Directory } from './render/mrkdwn.ts';

/** A person you can be in the console, with what the charters make of them. */
export type ConsolePerson = { id: string; name: string; realName: string; roles: string[] };

/** Each person's roles across the charters: the groups they are in, and owner or security reviewer. */
export function describePeople({
  users,
  charters,
}: {
  users: EmulatorUser[];
  charters: Charter[];
}): ConsolePerson[] {
  return users.map((user) => {
    const roles = new Set<string>();
    for (const charter of charters) {
      const { business, technical, security } = charter.owners;
      if (business === user.id || technical === user.id) roles.add(`owner of ${charter.agent}`);
      if (security === user.id) roles.add(`security reviewer of ${charter.agent}`);
      for (const [group, spec] of Object.entries(charter.groups)) {
        if (spec.users.includes(user.id)) roles.add(group);
      }
    }
    return {
      id: user.id,
      name: user.name,
      realName: user.realName ?? user.name,
      roles: roles.size > 0 ? [...roles] : ['not named in any charter'],
    };
  });
}

/** Names for mentions: `@oncall.olivia`, `#incidents`, `@sre-approvers`; the bot is `@Warden`. */
export function createDirectory({
  people,
  channels,
  usergroups,
  botUserId,
}: {
  people: ConsolePerson[];
  channels: EmulatorChannel[];
  usergroups: { id: string; handle: string }[];
  botUserId: string;
}): Directory {
  return {
    userName: (id) => (id === botUserId ? 'Warden' : (people.find((p) => p.id === id)?.name ?? id)),
    channelName: (id) => channels.find((c) => c.id === id)?.name,
    groupHandle: (id) => usergroups.find((g) => g.id === id)?.handle,
  };
}
