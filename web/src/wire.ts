// The signalling messages the web app sends to and receives from the portal: JSON objects
// tagged by `type`, exactly as the Rust serde derives in `protocol/src/signal.rs`,
// `signal_types.rs` and `front_desk.rs` write them. Hand-written, and checked against the Rust
// types by `generated/samples.ts` (written by `protocol/tests/web_samples.rs`), which
// `tsc --noEmit` type-checks against these declarations.

/** A 9-digit session code as its digits, e.g. "012345678" (leading zeros count). */
export type SessionCode = string;

/** How a customer portal starts a support session. */
export type PortalMode = "smart_pin" | "smart_button" | "smart_box" | "smart_match" | "queue";

/** Web Chat in the browser first, or straight to the customer app. */
export type ChatStart = "web_chat" | "download";

/** What a SmartBox field accepts. */
export type FieldKind = "text" | "long_text" | "email" | "phone" | "number";

/** Whether a portal takes requests now. */
export type PortalAvailability = "open" | "nobody_online" | "closed";

/** Resolved or not, as the representative records it. */
export type Outcome = "resolved" | "unresolved";

/** Categories of portal errors. */
export type ErrorKind =
  | "bad_request"
  | "unauthorized"
  | "code_unknown"
  | "code_expired"
  | "code_redeemed"
  | "code_cancelled"
  | "too_many_codes"
  | "too_many_specialists"
  | "invitation_gone"
  | "not_host"
  | "rate_limited"
  | "session_gone"
  | "portal_unknown"
  | "nobody_available"
  | "queue_full"
  | "request_gone"
  | "mail_failed"
  | "internal";

/** An active code as a representative sees it. */
export interface CodeInfo {
  code: SessionCode;
  customer: string;
  portal: string;
  expires_in_secs: number;
  join_url: string;
  invitation: string;
}

/** One field an administrator put on a SmartBox or Queue portal. */
export interface FieldSpec {
  label: string;
  required: boolean;
  kind: FieldKind;
}

/** A representative the customer may pick on a SmartMatch portal. */
export interface RepCard {
  /** Opaque ("rep7"), not the login name: strangers see it. Sent back in request_help.rep. */
  handle: string;
  name: string;
}

/** A customer portal as its page shows it. */
export interface PortalPage {
  name: string;
  title: string;
  mode: PortalMode;
  chat_start: ChatStart;
  fields: FieldSpec[];
  availability: PortalAvailability;
  reps: RepCard[];
  queue_length: number;
}

/** A help request as the customer's page shows it (tagged by `state`). */
export type RequestState =
  | {
      state: "waiting";
      /** Queue mode: 1 means next in line. */
      position?: number;
      /** Queue mode: estimated wait in seconds. */
      estimated_wait_secs?: number;
      reps_online: number;
    }
  | { state: "ringing" }
  | { state: "accepted"; rep_name: string; chat_start: ChatStart }
  | { state: "app_needed"; join_url: string; code: SessionCode }
  | { state: "in_session" }
  | { state: "ended"; reason: string };

/** One label and value of a SmartBox form. */
export interface FieldValue {
  label: string;
  value: string;
}

/** An incoming request in a representative's List View. */
export interface Query {
  request: number;
  portal: string;
  mode: PortalMode;
  customer: string;
  question: string;
  fields: FieldValue[];
  waiting_secs: number;
  /** Queue mode: seconds before the offer moves on. */
  offer_expires_in_secs?: number;
}

/** Customers waiting on one Queue-mode portal. */
export interface QueueLength {
  portal: string;
  waiting: number;
}

/** An attendee's id in its session (1 is the customer, 2 the host). */
export type AttendeeId = number;

/** Rights as wire bits: VIEW 1, CONTROL 2, CHAT 4, FILES 8, REBOOT 16 (see rights.ts). */
export type Rights = number;

/** The part an attendee plays in a session. */
export type Role = "customer" | "host" | "representative" | "specialist";

/** An attendee as the host's roster shows it. */
export interface AttendeeInfo {
  id: AttendeeId;
  name: string;
  role: Role;
  rights: Rights;
  /** Hidden from the customer (invited representatives only). */
  masked: boolean;
}

/** Whom the host invites: one representative, or everyone logged in on a portal. */
export type InviteTarget = { kind: "rep"; user: string } | { kind: "portal"; portal: string };

/** A logged-in representative as the host sees it. */
export interface RepPresence {
  /** Account name (what invite_reps names). */
  user: string;
  name: string;
  portal: string;
  active_sessions: number;
}

/** A specialist invitation as the host gets it. */
export interface SpecialistInvitation {
  /** The 9-digit support key. */
  key: SessionCode;
  join_url: string;
  /** Ready email text: link, support key and the granted rights. */
  email: string;
  rights: Rights;
}

/**
 * A function the policy may withhold, by name: "screen", "control", "files", "reboot",
 * "chat", "invite_reps", "invite_specialists", "specialist_control" (see policy.ts). A string,
 * so a newer portal's names pass through.
 */
export type FunctionName = string;

/** A team as the management page shows it. */
export interface TeamView {
  id: number;
  name: string;
  /** The team it is a subteam of (null: top level). */
  parent: number | null;
  /** Functions withheld from everyone in it and in its subteams. */
  withheld: FunctionName[];
}

/** A representative as the management page shows it. */
export interface MemberView {
  /** Account name. */
  user: string;
  name: string;
  admin: boolean;
  team: number | null;
  /** Functions withheld from them alone. */
  withheld: FunctionName[];
  /** What is in force for them on the default portal, after their team and the portal. */
  in_force: FunctionName[];
}

/** What a customer portal withholds from every session started on it. */
export interface PortalPolicyView {
  portal: string;
  withheld: FunctionName[];
}

/** Everything the management page shows (the answer to every manage request). */
export interface ManagementView {
  /** Every function name, in the order to list them. */
  functions: FunctionName[];
  teams: TeamView[];
  members: MemberView[];
  portals: PortalPolicyView[];
}

/** Where a withholding applies. */
export type PolicyScope =
  | { kind: "rep"; user: string }
  | { kind: "team"; team: number }
  | { kind: "portal"; portal: string };

/** A management request (administrators only), tagged by `op`. */
export type ManageRequest =
  | { op: "show" }
  | { op: "add_team"; name: string; parent: number | null }
  | { op: "move_team"; team: number; parent: number | null }
  | { op: "set_team"; user: string; team: number | null }
  /** Replaces the whole withheld set of `scope`. */
  | { op: "withhold"; scope: PolicyScope; withheld: FunctionName[] };

/**
 * WebRTC negotiation through the portal (tagged by `kind`): the agent offers, the viewer
 * answers; when no direct path opens the portal hands each end a one-use relay token.
 */
export type SignalPayload =
  | { kind: "offer"; sdp: string }
  | { kind: "answer"; sdp: string }
  | { kind: "relay_request" }
  | { kind: "relay"; token: string };

/** What the web app sends to the portal. */
export type ClientMessage =
  | { type: "hello"; version: number; client: string }
  | { type: "login"; user: string; password: string; portal: string | null }
  | { type: "create_code"; customer: string; portal: string | null }
  | { type: "list_codes" }
  | { type: "cancel_code"; code: SessionCode }
  | { type: "email_code"; code: SessionCode; to: string; language?: string }
  | { type: "open_portal"; portal: string }
  | {
      type: "request_help";
      portal: string;
      customer: string;
      question: string;
      fields: string[];
      /** SmartMatch: the chosen representative's RepCard.handle. */
      rep?: string;
    }
  | { type: "withdraw_request"; request: number }
  | { type: "web_chat"; request: number; text: string }
  | { type: "set_accepting"; accepting: boolean }
  | { type: "accept_request"; request: number }
  | { type: "escalate_request"; request: number }
  | { type: "close_request"; request: number; notes: string; outcome: Outcome }
  | { type: "save_notes"; session: number; notes: string; outcome: Outcome }
  // The console's session panels: a ticket on the logged-in connection, then a connection
  // of the panel's own that acts as the session's host.
  | { type: "panel_ticket"; code: SessionCode }
  | { type: "open_session_panel"; ticket: string }
  | { type: "chat"; text: string; reps_only: boolean }
  | { type: "list_reps" }
  | { type: "invite_reps"; target: InviteTarget; rights: Rights; masked: boolean; comment: string }
  | { type: "invite_specialist"; rights: Rights }
  | { type: "cancel_specialist_invitation"; key: SessionCode }
  | { type: "change_rights"; attendee: AttendeeId; grant: Rights; revoke: Rights }
  | { type: "remove_attendee"; attendee: AttendeeId }
  | { type: "end_session"; reason: string }
  | {
      type: "join_as_specialist";
      key: SessionCode;
      name: string;
      /** The `t=` token of the invitation link, when joining from it. */
      link_token?: string;
      /** From an earlier `joined`, when coming back after a lost connection. */
      seat_token?: string;
    }
  | { type: "signal"; to: AttendeeId; payload: SignalPayload }
  /** A session panel takes the host's seat to watch the screen in the browser. */
  | { type: "watch_session" }
  /** The management page (administrators only); answered with `management` or an error. */
  | ({ type: "manage" } & ManageRequest);

/** What the portal sends to the web app. */
export type PortalMessage =
  | { type: "welcome"; version: number }
  | {
      type: "logged_in";
      name: string;
      portal_url?: string;
      /** An administrator: the console offers the management page. Absent: false. */
      admin?: boolean;
      /** The functions the policy allows them on their portal. Absent: all. */
      functions?: FunctionName[];
    }
  /** The policy changed: the functions allowed now (replaces logged_in's). */
  | { type: "functions"; allowed: FunctionName[] }
  /** To an administrator: the management state, after every manage request. */
  | ({ type: "management" } & ManagementView)
  | ({ type: "code_created" } & CodeInfo)
  | { type: "codes"; codes: CodeInfo[] }
  | { type: "code_cancelled"; code: SessionCode }
  | { type: "code_emailed"; code: SessionCode; to: string }
  | ({ type: "portal" } & PortalPage)
  | { type: "request_status"; request: number; state: RequestState }
  | { type: "queries"; queries: Query[]; queues: QueueLength[]; accepting: boolean }
  | {
      type: "request_taken";
      request: number;
      customer: string;
      portal: string;
      chat_start: ChatStart;
      code?: CodeInfo;
    }
  | { type: "web_chat"; request: number; from_customer: boolean; name: string; text: string }
  | { type: "notes_saved"; session: number }
  | { type: "panel_ticket"; code: SessionCode; ticket: string }
  | { type: "panel_waiting"; code: SessionCode }
  | {
      type: "joined";
      session: number;
      you: AttendeeId;
      customer: string;
      rights: Rights;
      /** Specialists only; a secret of the connection. */
      seat_token?: string;
    }
  | { type: "roster"; attendees: AttendeeInfo[] }
  | { type: "chat"; from: AttendeeId; name: string; text: string; reps_only: boolean }
  | { type: "consent"; attendee: AttendeeId; allowed: Rights }
  | { type: "customer_away"; reason: string; wait_secs: number }
  | { type: "customer_back" }
  | { type: "invitation_answered"; invitation: number; by: string; accepted: boolean }
  | { type: "session_ended"; reason: string }
  | { type: "reps"; reps: RepPresence[] }
  | ({ type: "specialist_invited" } & SpecialistInvitation)
  | { type: "specialist_invitation_cancelled"; key: SessionCode }
  | { type: "signal"; from: AttendeeId; payload: SignalPayload }
  | { type: "error"; kind: ErrorKind; message: string };

export type ClientType = ClientMessage["type"];
export type PortalType = PortalMessage["type"];

/** Version of the signalling vocabulary this app speaks. */
export const SIGNAL_VERSION = 1;

/** The first message on every connection. */
export const HELLO: ClientMessage = { type: "hello", version: SIGNAL_VERSION, client: "tandem-web" };
