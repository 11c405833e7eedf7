import type {
  PagerDutyAlert,
  PagerDutyIncident,
  PagerDutyLogEntry,
  PagerDutyNote,
} from '../../systems/pagerduty.schemas.ts';

/** One incident of the emulated account, with what hangs off it. */
export type EmulatedIncident = {
  incident: PagerDutyIncident;
  alerts: PagerDutyAlert[];
  logEntries: PagerDutyLogEntry[];
  notes: PagerDutyNote[];
};

/** A user of the emulated account: writes must come `From` one of their e-mails, as the real API insists. */
export type EmulatedUser = { id: string; name: string; email: string };

/** Who is on call now at one level of an escalation policy (the computed result of its schedules). */
export type EmulatedOncall = { escalationPolicyId: string; level: number; user: EmulatedUser };

/**
 * The emulated PagerDuty account's state: users and incidents. Incidents are found by id or by number,
 * as `GET /incidents/{id}` accepts either.
 */
export function createPagerDutyStore({ now }: { now: () => Date }) {
  const incidents = new Map<string, EmulatedIncident>();
  const users: EmulatedUser[] = [];
  let oncalls: EmulatedOncall[] = [];
  let seq = 0;
  const nextId = (prefix: string) => `${prefix}${String(++seq).padStart(6, '0')}`;

  function find(ref: string): EmulatedIncident | null {
    const byId = incidents.get(ref);
    if (byId) return byId;
    for (const entry of incidents.values()) if (String(entry.incident.incident_number) === ref) return entry;
    return null;
  }

  return {
    addUser: (user: Omit<EmulatedUser, 'id'>): EmulatedUser => {
      const made = { ...user, id: nextId('PU') };
      users.push(made);
      return made;
    },
    /** Replaces who is on call now for an escalation policy (a hand-over, as a schedule makes one). */
    setOncall: ({
      escalationPolicyId,
      onCall,
    }: {
      escalationPolicyId: string;
      onCall: { user: EmulatedUser; level?: number }[];
    }) => {
      oncalls = [
        ...oncalls.filter((o) => o.escalationPolicyId !== escalationPolicyId),
        ...onCall.map(({ user, level = 1 }) => ({ escalationPolicyId, level, user })),
      ];
    },
    oncalls: () => [...oncalls],
    userByEmail: (email: string) => users.find((u) => u.email.toLowerCase() === email.toLowerCase()) ?? null,
    /** Adds a triggered incident on a service, with one alert; returns it. */
    addIncident: ({
      number,
      serviceId,
      title,
      description = '',
      urgency = 'high',
      alertSummary = title,
    }: {
      number: number;
      serviceId: string;
      title: string;
      description?: string;
      urgency?: string;
      alertSummary?: string;
    }): PagerDutyIncident => {
      const created = now().toISOString();
      const incident: PagerDutyIncident = {
        id: nextId('Q'),
        incident_number: number,
        title,
        description,
        status: 'triggered',
        urgency,
        created_at: created,
        html_url: `https://acme.pagerduty.com/incidents/${number}`,
        service: { id: serviceId, summary: `service ${serviceId}` },
        priority: null,
      };
      incidents.set(incident.id, {
        incident,
        alerts: [
          {
            id: nextId('A'),
            status: 'triggered',
            summary: alertSummary,
            created_at: created,
            severity: 'critical',
          },
        ],
        logEntries: [
          {
            id: nextId('R'),
            type: 'trigger_log_entry',
            summary: 'Triggered through the API.',
            created_at: created,
          },
        ],
        notes: [],
      });
      return incident;
    },
    find,
    addNote: ({ entry, content, user }: { entry: EmulatedIncident; content: string; user: EmulatedUser }) => {
      const note: PagerDutyNote = {
        id: nextId('PN'),
        content,
        created_at: now().toISOString(),
        user: { id: user.id, summary: user.name },
      };
      entry.notes.push(note);
      entry.logEntries.push({
        id: nextId('R'),
        type: 'annotate_log_entry',
        summary: `Note added by ${user.name}`,
        created_at: note.created_at,
      });
      return note;
    },
    acknowledge: ({ entry, user }: { entry: EmulatedIncident; user: EmulatedUser }) => {
      if (entry.incident.status === 'triggered') {
        entry.incident.status = 'acknowledged';
        entry.logEntries.push({
          id: nextId('R'),
          type: 'acknowledge_log_entry',
          summary: `Acknowledged by ${user.name}`,
          created_at: now().toISOString(),
        });
      }
      return entry.incident;
    },
  };
}

export type PagerDutyStore = ReturnType<typeof createPagerDutyStore>;
