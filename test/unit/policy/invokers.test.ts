import { describe, expect, it } from 'vitest';
import { mayInvoke, resolveGroups } from '../../../src/policy/approval-validity.ts';
import { makeCharter } from './policy-fixtures.ts';

describe('resolveGroups', () => {
  const charter = makeCharter((s) => {
    s.groups.platform = { slack_usergroup: 'S0PLATFORM' };
  });

  it('lists every charter group that names the user', () => {
    expect(resolveGroups({ charter, userId: 'U0OWNER001' })).toEqual(['oncall', 'sre-approvers']);
    expect(resolveGroups({ charter, userId: 'U0APPROVE1' })).toEqual(['sre-approvers']);
    expect(resolveGroups({ charter, userId: 'U0OUTSIDE1' })).toEqual([]);
  });

  it('counts Slack user group membership only when the caller supplies it', () => {
    expect(resolveGroups({ charter, userId: 'U0PLATFRM1' })).toEqual([]);
    expect(
      resolveGroups({ charter, userId: 'U0PLATFRM1', usergroupMembers: { S0PLATFORM: ['U0PLATFRM1'] } }),
    ).toEqual(['platform']);
    expect(
      resolveGroups({ charter, userId: 'U0PLATFRM1', usergroupMembers: { S0OTHERGRP: ['U0PLATFRM1'] } }),
    ).toEqual([]);
  });
});

describe('mayInvoke', () => {
  it('lets members of an invoker group start the agent from any channel when none are listed', () => {
    const charter = makeCharter();
    expect(mayInvoke({ charter, userId: 'U0ONCALL01', channelId: 'C0ANYWHERE' })).toEqual({ ok: true });
    expect(mayInvoke({ charter, userId: 'U0ONCALL01', channelId: null })).toEqual({ ok: true });
  });

  it('refuses someone who is neither listed nor in an invoker group', () => {
    const charter = makeCharter();
    const result = mayInvoke({ charter, userId: 'U0APPROVE1', channelId: 'C0INCIDENT' });
    expect(result).toMatchObject({ ok: false, reasonCode: 'invoker_not_allowed' });
    if (!result.ok) expect(result.message).toContain('oncall');
  });

  it('uses the groups the caller resolved when given', () => {
    const charter = makeCharter();
    expect(mayInvoke({ charter, userId: 'U0PLATFRM1', channelId: 'C0INCIDENT', groups: ['oncall'] }).ok).toBe(
      true,
    );
    expect(mayInvoke({ charter, userId: 'U0ONCALL01', channelId: 'C0INCIDENT', groups: [] }).ok).toBe(false);
  });

  it('accepts users listed by ID', () => {
    const charter = makeCharter((s) => {
      s.invokers = { users: ['U0OUTSIDE1'] };
    });
    expect(mayInvoke({ charter, userId: 'U0OUTSIDE1', channelId: 'C0INCIDENT' }).ok).toBe(true);
  });

  it('limits the agent to the listed channels', () => {
    const charter = makeCharter((s) => {
      s.invokers.channels = ['C0INCIDENT'];
    });
    expect(mayInvoke({ charter, userId: 'U0ONCALL01', channelId: 'C0INCIDENT' })).toEqual({ ok: true });
    expect(mayInvoke({ charter, userId: 'U0ONCALL01', channelId: 'C0RANDOM01' })).toMatchObject({
      ok: false,
      reasonCode: 'channel_not_allowed',
    });
    expect(mayInvoke({ charter, userId: 'U0ONCALL01', channelId: undefined })).toMatchObject({
      reasonCode: 'channel_not_allowed',
    });
  });

  it('checks the person before the channel', () => {
    const charter = makeCharter((s) => {
      s.invokers.channels = ['C0INCIDENT'];
    });
    expect(mayInvoke({ charter, userId: 'U0OUTSIDE1', channelId: 'C0RANDOM01' })).toMatchObject({
      reasonCode: 'invoker_not_allowed',
    });
  });
});
