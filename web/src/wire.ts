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
  | "internal"
  /** The password was right, but the account needs its authenticator app's code (login.otp). */
  | "second_factor";

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

/** Rights as wire bits: VIEW 1, CONTROL 2, CHAT 4, FILES 8, REBOOT 16, CLIPBOARD 32 (see rights.ts). */
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
 * "clipboard", "chat", "invite_reps", "invite_specialists", "specialist_control", "unrecorded" (withheld:
 * sessions are recorded, the customer asked first) and "refuse_recording" (withheld: a
 * customer who refuses recording ends the session) — see policy.ts. A string, so a newer
 * portal's names pass through.
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

/**
 * What an administrator allowed a team manager (or a representative): "add_reps",
 * "change_functions", "view_reports", "own_reports" (see policy.ts). A string, so a newer
 * portal's names pass through.
 */
export type PowerName = string;

/** A representative just added, with the only copy of their first password. */
export interface AddedRep {
  user: string;
  password: string;
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
  /** Teams they manage, with their subteams (empty: not a team manager). */
  manages: number[];
  /** Their powers (see PowerName). */
  powers: PowerName[];
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
  /** Empty for team managers. */
  portals: PortalPolicyView[];
  /** Who asks: an administrator (everything) or a team manager (the teams listed). */
  you: "admin" | "manager";
  /** The asker's powers (administrators: all). */
  powers: PowerName[];
  /** Only in the answer to add_rep: the new account's first password, shown once. */
  added?: AddedRep;
}

/** A second factor being set up: enter `secret` (base32) in an authenticator app, or open `uri`. */
export interface SecondFactorSetup {
  secret: string;
  /** An otpauth:// link with the secret, as apps take it from a link or QR code. */
  uri: string;
}

/** One's own second factor (the answer to the second_factor_* manage requests). */
export interface SecondFactorView {
  /** On: signing in asks for the authenticator app's code too. */
  enabled: boolean;
  /** A setup in progress: confirm it with a code (second_factor_on). */
  setup?: SecondFactorSetup;
}

/** A session's outcome as a report filter: "none" is "nothing recorded". */
export type ReportOutcome = "resolved" | "unresolved" | "none";

/** Which sessions a report shows; a field left out (or null) matches everything. */
export interface ReportFilter {
  /** Started at or after (Unix seconds). */
  from?: number | null;
  /** Started before (Unix seconds). */
  to?: number | null;
  /** Hosted by someone in this team or a team below it. */
  team?: number | null;
  /** Hosted by this account. */
  rep?: string | null;
  /** Started on this customer portal. */
  portal?: string | null;
  outcome?: ReportOutcome | null;
}

/** One thing that happened in a session (from the audit trail). */
export interface ReportEvent {
  /** Unix seconds. */
  at: number;
  actor: string;
  /** "attendee.join", "rights.change", "file.transfer", "folder.listing", "reboot", … */
  action: string;
  detail: string;
}

/** One session in a report. */
export interface SessionReport {
  id: number;
  /** The host's account and name. */
  rep: string;
  rep_name: string;
  customer: string;
  portal: string;
  /** Unix seconds. */
  started_at: number;
  /** Null while it runs. */
  ended_at: number | null;
  end_reason: string | null;
  /** "resolved" or "unresolved", when the representative said. */
  outcome: string | null;
  notes: string | null;
  events: ReportEvent[];
  /** The session's recording; absent or null: it has none. */
  recording?: RecordingSummary | null;
}

/** A session's recording as a report shows it. */
export interface RecordingSummary {
  /** Its size on the portal's disk. */
  bytes: number;
  /** From its first record to its last. */
  duration_ms: number;
}

/** A report: the sessions (newest first), whether more matched, and the same as CSV. */
export interface ReportView {
  sessions: SessionReport[];
  truncated: boolean;
  csv: string;
}

/** Where a withholding applies. */
export type PolicyScope =
  | { kind: "rep"; user: string }
  | { kind: "team"; team: number }
  | { kind: "portal"; portal: string };

/**
 * A management request, tagged by `op`: administrators may do everything, team managers what
 * their powers allow in their teams; `report` also anyone allowed to see reports.
 */
export type ManageRequest =
  | { op: "show" }
  | { op: "add_team"; name: string; parent: number | null }
  | { op: "move_team"; team: number; parent: number | null }
  | { op: "set_team"; user: string; team: number | null }
  /** Replaces the whole withheld set of `scope`. */
  | { op: "withhold"; scope: PolicyScope; withheld: FunctionName[] }
  /** Administrators only: makes `user` a manager of `manages` (none: not a manager). */
  | { op: "set_access"; user: string; manages: number[]; powers: PowerName[] }
  /** A new account; the answer's `added` carries its first password. */
  | { op: "add_rep"; user: string; name: string; team: number | null }
  /** Signs `user` out everywhere (administrators; managers with "add_reps" for their people). */
  | { op: "sign_out"; user: string }
  /** Signs `user` out, turns their second factor off; the answer's `added` has a new password. */
  | { op: "reset_sign_in"; user: string }
  /** One's own second factor (anyone logged in), each answered with `second_factor`. */
  | { op: "second_factor_setup" }
  | { op: "second_factor_on"; code: string }
  | { op: "second_factor_off"; code: string }
  /** Answered with a `report` message. */
  | ({ op: "report" } & ReportFilter)
  /**
   * A one-use address of a session's recording (whoever may see the session's report):
   * answered with a `recording` message.
   */
  | { op: "recording"; session: number };

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
  | {
      type: "login";
      user: string;
      password: string;
      portal: string | null;
      /** The authenticator app's code, once the portal asked for it (error "second_factor"). */
      otp?: string;
    }
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
  /** The management and report pages; answered with `management`, `report` or an error. */
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
      /** A team manager: the console offers the management page for their teams. */
      manager?: boolean;
      /** May see session reports (everyone's, their teams' or their own). */
      reports?: boolean;
      /** The functions the policy allows them on their portal. Absent: all. */
      functions?: FunctionName[];
    }
  /** The policy changed: the functions allowed now (replaces logged_in's). */
  | { type: "functions"; allowed: FunctionName[] }
  /** To an administrator or team manager: the management state, after every manage request. */
  | ({ type: "management" } & ManagementView)
  /** The answer to a report request. */
  | ({ type: "report" } & ReportView)
  /**
   * The answer to a recording request: a same-origin path (`/recordings/…`) good for one GET
   * within a minute. A secret of this console: never logged or kept.
   */
  | { type: "recording"; session: number; url: string }
  /** The answer to one's own second_factor_setup, _on and _off. */
  | ({ type: "second_factor" } & SecondFactorView)
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
