import {
  chatDelete,
  chatGetPermalink,
  chatPostEphemeral,
  chatPostMessage,
  chatUpdate,
} from './chat.methods.ts';
import {
  authTest,
  conversationsInfo,
  usergroupsUsersList,
  usersInfo,
  usersLookupByEmail,
} from './directory.methods.ts';
import type { MethodHandler } from './method.types.ts';
import { viewsOpen, viewsPublish, viewsPush, viewsUpdate } from './views.methods.ts';

/** The Web API methods the emulator answers; anything else is `unknown_method`. */
export const webApiMethods: Record<string, MethodHandler> = {
  'auth.test': authTest,
  'chat.postMessage': chatPostMessage,
  'chat.update': chatUpdate,
  'chat.delete': chatDelete,
  'chat.postEphemeral': chatPostEphemeral,
  'chat.getPermalink': chatGetPermalink,
  'users.info': usersInfo,
  'users.lookupByEmail': usersLookupByEmail,
  'usergroups.users.list': usergroupsUsersList,
  'conversations.info': conversationsInfo,
  'views.open': viewsOpen,
  'views.push': viewsPush,
  'views.update': viewsUpdate,
  'views.publish': viewsPublish,
};
