// Parses what the portal sends: text off the WebSocket becomes a typed PortalMessage or
// nothing. No value from the wire is trusted before it was checked here, and every check's
// type is assignable to the hand-written type in wire.ts (the compiler refuses a check that
// misses a required field).

import type {
  AddedRep,
  AttendeeInfo,
  CodeInfo,
  ErrorKind,
  FieldSpec,
  FieldValue,
  ManagementView,
  MemberView,
  PortalMessage,
  PortalPolicyView,
  PortalPage,
  PortalType,
  Query,
  QueueLength,
  RecordingSummary,
  RepCard,
  RepPresence,
  ReportEvent,
  ReportView,
  RequestState,
  SecondFactorSetup,
  SessionReport,
  SignalPayload,
  SpecialistInvitation,
  TeamView,
} from "./wire";

type Check<T> = (v: unknown) => v is T;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const str: Check<string> = (v): v is string => typeof v === "string";
const num: Check<number> = (v): v is number =>
  typeof v === "number" && Number.isFinite(v) && v >= 0;
const bool: Check<boolean> = (v): v is boolean => typeof v === "boolean";

function oneOf<const T extends string>(...values: T[]): Check<T> {
  return (v): v is T => typeof v === "string" && (values as string[]).includes(v);
}

function arr<T>(item: Check<T>): Check<T[]> {
  return (v): v is T[] => Array.isArray(v) && v.every(item);
}

/** A value or JSON null (serde writes None as null where it does not skip it). */
function nullable<T>(check: Check<T>): Check<T | null> {
  return (v): v is T | null => v === null || check(v);
}

/** A field that may be absent (serde skips these when they are None). */
interface Optional<T> {
  optional: Check<T>;
}
function opt<T>(check: Check<T>): Optional<T> {
  return { optional: check };
}

type Shape = Record<string, Check<unknown> | Optional<unknown>>;
type ReqPart<S extends Shape> = {
  [K in keyof S as S[K] extends Optional<unknown> ? never : K]: S[K] extends Check<infer T>
    ? T
    : never;
};
type OptPart<S extends Shape> = {
  [K in keyof S as S[K] extends Optional<unknown> ? K : never]?: S[K] extends Optional<infer T>
    ? T
    : never;
};
type Shaped<S extends Shape> = ReqPart<S> & OptPart<S>;

/** An object with at least these fields (extra fields from a newer portal are ignored). */
function obj<S extends Shape>(shape: S): Check<Shaped<S>> {
  return (v): v is Shaped<S> => {
    if (!isObject(v)) return false;
    for (const [key, check] of Object.entries(shape)) {
      const value = v[key];
      if (typeof check === "function") {
        if (!check(value)) return false;
      } else if (value !== undefined && !check.optional(value)) {
        return false;
      }
    }
    return true;
  };
}

const mode = oneOf("smart_pin", "smart_button", "smart_box", "smart_match", "queue");
const chatStart = oneOf("web_chat", "download");

const codeInfo: Check<CodeInfo> = obj({
  code: str,
  customer: str,
  portal: str,
  expires_in_secs: num,
  join_url: str,
  invitation: str,
});

const fieldSpec: Check<FieldSpec> = obj({
  label: str,
  required: bool,
  kind: oneOf("text", "long_text", "email", "phone", "number"),
});

const repCard: Check<RepCard> = obj({ handle: str, name: str });

const portalPage: Check<PortalPage> = obj({
  name: str,
  title: str,
  mode,
  chat_start: chatStart,
  fields: arr(fieldSpec),
  availability: oneOf("open", "nobody_online", "closed"),
  reps: arr(repCard),
  queue_length: num,
});

const requestStateChecks: { [K in RequestState["state"]]: Check<Extract<RequestState, { state: K }>> } = {
  waiting: obj({
    state: oneOf("waiting"),
    position: opt(num),
    estimated_wait_secs: opt(num),
    reps_online: num,
  }),
  ringing: obj({ state: oneOf("ringing") }),
  accepted: obj({ state: oneOf("accepted"), rep_name: str, chat_start: chatStart }),
  app_needed: obj({ state: oneOf("app_needed"), join_url: str, code: str }),
  in_session: obj({ state: oneOf("in_session") }),
  ended: obj({ state: oneOf("ended"), reason: str }),
};

const requestState: Check<RequestState> = (v): v is RequestState => {
  if (!isObject(v) || typeof v.state !== "string") return false;
  const check: Check<RequestState> | undefined = (
    requestStateChecks as Record<string, Check<RequestState>>
  )[v.state];
  return check !== undefined && check(v);
};

const fieldValue: Check<FieldValue> = obj({ label: str, value: str });

const query: Check<Query> = obj({
  request: num,
  portal: str,
  mode,
  customer: str,
  question: str,
  fields: arr(fieldValue),
  waiting_secs: num,
  offer_expires_in_secs: opt(num),
});

const queueLength: Check<QueueLength> = obj({ portal: str, waiting: num });

const attendeeInfo: Check<AttendeeInfo> = obj({
  id: num,
  name: str,
  role: oneOf("customer", "host", "representative", "specialist"),
  rights: num,
  masked: bool,
});

const repPresence: Check<RepPresence> = obj({
  user: str,
  name: str,
  portal: str,
  active_sessions: num,
});

const specialistInvitation: Check<SpecialistInvitation> = obj({
  key: str,
  join_url: str,
  email: str,
  rights: num,
});

const signalPayloadChecks: {
  [K in SignalPayload["kind"]]: Check<Extract<SignalPayload, { kind: K }>>;
} = {
  offer: obj({ kind: oneOf("offer"), sdp: str }),
  answer: obj({ kind: oneOf("answer"), sdp: str }),
  relay_request: obj({ kind: oneOf("relay_request") }),
  relay: obj({ kind: oneOf("relay"), token: str }),
};

const signalPayload: Check<SignalPayload> = (v): v is SignalPayload => {
  if (!isObject(v) || typeof v.kind !== "string") return false;
  const check = (signalPayloadChecks as Record<string, Check<SignalPayload> | undefined>)[v.kind];
  return check !== undefined && check(v);
};

const teamView: Check<TeamView> = obj({ id: num, name: str, parent: nullable(num), withheld: arr(str) });

const memberView: Check<MemberView> = obj({
  user: str,
  name: str,
  admin: bool,
  team: nullable(num),
  withheld: arr(str),
  in_force: arr(str),
  manages: arr(num),
  powers: arr(str),
});

const portalPolicyView: Check<PortalPolicyView> = obj({ portal: str, withheld: arr(str) });

const addedRep: Check<AddedRep> = obj({ user: str, password: str });

const managementView: Check<ManagementView> = obj({
  functions: arr(str),
  teams: arr(teamView),
  members: arr(memberView),
  portals: arr(portalPolicyView),
  you: oneOf("admin", "manager"),
  powers: arr(str),
  added: opt(addedRep),
});

const reportEvent: Check<ReportEvent> = obj({ at: num, actor: str, action: str, detail: str });

const recordingSummary: Check<RecordingSummary> = obj({ bytes: num, duration_ms: num });

const sessionReport: Check<SessionReport> = obj({
  id: num,
  rep: str,
  rep_name: str,
  customer: str,
  portal: str,
  started_at: num,
  ended_at: nullable(num),
  end_reason: nullable(str),
  outcome: nullable(str),
  notes: nullable(str),
  events: arr(reportEvent),
  recording: opt(nullable(recordingSummary)),
});

const reportView: Check<ReportView> = obj({ sessions: arr(sessionReport), truncated: bool, csv: str });

const secondFactorSetup: Check<SecondFactorSetup> = obj({ secret: str, uri: str });

const ERROR_KINDS: readonly ErrorKind[] = [
  "bad_request",
  "unauthorized",
  "code_unknown",
  "code_expired",
  "code_redeemed",
  "code_cancelled",
  "too_many_codes",
  "too_many_specialists",
  "invitation_gone",
  "not_host",
  "rate_limited",
  "session_gone",
  "portal_unknown",
  "nobody_available",
  "queue_full",
  "request_gone",
  "mail_failed",
  "internal",
  "second_factor",
];

type Msg<K extends PortalType> = Extract<PortalMessage, { type: K }>;

/** One check per message type the app understands; the compiler insists on all of them. */
const checks: { [K in PortalType]: Check<Msg<K>> } = {
  welcome: obj({ type: oneOf("welcome"), version: num }),
  logged_in: obj({
    type: oneOf("logged_in"),
    name: str,
    portal_url: opt(str),
    admin: opt(bool),
    manager: opt(bool),
    reports: opt(bool),
    functions: opt(arr(str)),
  }),
  functions: obj({ type: oneOf("functions"), allowed: arr(str) }),
  management: (v): v is Msg<"management"> =>
    obj({ type: oneOf("management") })(v) && managementView(v),
  report: (v): v is Msg<"report"> => obj({ type: oneOf("report") })(v) && reportView(v),
  recording: obj({ type: oneOf("recording"), session: num, url: str }),
  second_factor: obj({ type: oneOf("second_factor"), enabled: bool, setup: opt(secondFactorSetup) }),
  code_created: (v): v is Msg<"code_created"> =>
    obj({ type: oneOf("code_created") })(v) && codeInfo(v),
  codes: obj({ type: oneOf("codes"), codes: arr(codeInfo) }),
  code_cancelled: obj({ type: oneOf("code_cancelled"), code: str }),
  code_emailed: obj({ type: oneOf("code_emailed"), code: str, to: str }),
  portal: (v): v is Msg<"portal"> => obj({ type: oneOf("portal") })(v) && portalPage(v),
  request_status: obj({ type: oneOf("request_status"), request: num, state: requestState }),
  queries: obj({
    type: oneOf("queries"),
    queries: arr(query),
    queues: arr(queueLength),
    accepting: bool,
  }),
  request_taken: obj({
    type: oneOf("request_taken"),
    request: num,
    customer: str,
    portal: str,
    chat_start: chatStart,
    code: opt(codeInfo),
  }),
  web_chat: obj({
    type: oneOf("web_chat"),
    request: num,
    from_customer: bool,
    name: str,
    text: str,
  }),
  notes_saved: obj({ type: oneOf("notes_saved"), session: num }),
  panel_ticket: obj({ type: oneOf("panel_ticket"), code: str, ticket: str }),
  panel_waiting: obj({ type: oneOf("panel_waiting"), code: str }),
  joined: obj({
    type: oneOf("joined"),
    session: num,
    you: num,
    customer: str,
    rights: num,
    seat_token: opt(str),
  }),
  roster: obj({ type: oneOf("roster"), attendees: arr(attendeeInfo) }),
  chat: obj({ type: oneOf("chat"), from: num, name: str, text: str, reps_only: bool }),
  consent: obj({ type: oneOf("consent"), attendee: num, allowed: num }),
  customer_away: obj({ type: oneOf("customer_away"), reason: str, wait_secs: num }),
  customer_back: obj({ type: oneOf("customer_back") }),
  invitation_answered: obj({
    type: oneOf("invitation_answered"),
    invitation: num,
    by: str,
    accepted: bool,
  }),
  session_ended: obj({ type: oneOf("session_ended"), reason: str }),
  reps: obj({ type: oneOf("reps"), reps: arr(repPresence) }),
  specialist_invited: (v): v is Msg<"specialist_invited"> =>
    obj({ type: oneOf("specialist_invited") })(v) && specialistInvitation(v),
  specialist_invitation_cancelled: obj({
    type: oneOf("specialist_invitation_cancelled"),
    key: str,
  }),
  signal: obj({ type: oneOf("signal"), from: num, payload: signalPayload }),
  error: obj({ type: oneOf("error"), kind: oneOf(...ERROR_KINDS), message: str }),
};

/** Every message type the app understands. */
export const PORTAL_TYPES = Object.keys(checks) as PortalType[];

/**
 * Parses one text message from the portal. Returns null for anything malformed or of a type
 * this app does not use (the portal also talks to agents and viewers on the same vocabulary).
 * An error of a kind newer than this app is kept, as "internal", for its message.
 */
export function parsePortalMessage(text: string): PortalMessage | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(parsed) || typeof parsed.type !== "string") return null;
  let value: Record<string, unknown> = parsed;
  if (
    value.type === "error" &&
    typeof value.kind === "string" &&
    !(ERROR_KINDS as readonly string[]).includes(value.kind)
  ) {
    value = { ...value, kind: "internal" };
  }
  const check = (checks as Record<string, Check<PortalMessage> | undefined>)[parsed.type];
  return check !== undefined && check(value) ? value : null;
}
