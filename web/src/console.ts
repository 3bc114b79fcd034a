// The representative console's logic, without the DOM (iced-like): `consoleUpdate(state,
// message, now)` returns the next state and the effects for the shell to perform (a beep and
// a desktop notification for a new query, asking for notification permission on login,
// asking for and using session panel tickets). console_view.ts and its parts draw the state.
//
// The portal's errors name no request: each goes to the operation that can have caused it
// (an escalation, a just-closed request, a panel's ticket, a code operation), else only to
// the alert.

import {
  endsSignIn,
  factorAnswer,
  factorRefused,
  initialFactor,
  otpAsked,
  signedOutWords,
  type AccountPending,
  type AddedNotice,
  type FactorState,
} from "./account";
import { formatCountdown, formatDuration, groupDigits, secondsLeft, secondsSince } from "./format";
import type { ChatLineData } from "./chat_view";
import { recordingAnswer, recordingRefused, type ReplayOpen } from "./replay";
import {
  failed,
  initialPanel,
  panelUpdate,
  requestClosed,
  ticketUsed,
  type PanelState,
} from "./session_panel";
import type {
  ChatStart,
  ClientMessage,
  CodeInfo,
  ErrorKind,
  FunctionName,
  ManagementView,
  PortalMessage,
  Query,
  QueueLength,
  ReportView,
} from "./wire";

/** A value from the portal with the moment (ms, page clock) it arrived, for live counters. */
export interface Timed<T> {
  readonly value: T;
  readonly arrivedMs: number;
}

/** A request this representative took: its chat and, once there is one, its code. */
export interface TakenPane {
  readonly request: number;
  readonly customer: string;
  readonly portal: string;
  readonly chatStart: ChatStart;
  readonly code: Timed<CodeInfo> | null;
  readonly chat: readonly ChatLineData[];
  /** escalate_request was sent; the code follows in a new request_taken. */
  readonly escalating: boolean;
  /** When escalate_request was sent (ms): the oldest escalation gets the next error. */
  readonly escalatedAtMs: number | null;
  /** close_request was sent (the portal confirms only to the customer). */
  readonly closed: boolean;
  readonly closedAtMs: number | null;
  /** What the portal refused for this request. */
  readonly error: string | null;
}

export interface ConsoleState {
  /** Logged in as this display name (null: the login form is shown). */
  readonly name: string | null;
  /** The portal the representative logged in on (codes are made for it). */
  readonly portal: string | null;
  /** The user name logged in with, and the portal's address for the native viewer. */
  readonly user: string | null;
  readonly portalUrl: string | null;
  readonly loggingIn: boolean;
  readonly loginError: string | null;
  /** The portal asked for the authenticator app's code: the login form shows its field. */
  readonly otpNeeded: boolean;
  /** What the portal said when it asked (shown beside the field). */
  readonly otpPrompt: string | null;
  /**
   * The portal ended the sign-in (an "unauthorized" saying to sign in again): when the
   * connection then closes, the console goes back to the login form with these words.
   */
  readonly signedOut: string | null;
  readonly queries: readonly Timed<Query>[];
  readonly queues: readonly QueueLength[];
  readonly accepting: boolean;
  /** How many new queries alerted the representative (document.body.dataset.alerts). */
  readonly alerts: number;
  /** Active codes, newest first. */
  readonly codes: readonly Timed<CodeInfo>[];
  readonly codeStatus: string | null;
  /** A code operation was sent and not answered yet: its error belongs to the codes view. */
  readonly codePending: boolean;
  readonly taken: readonly TakenPane[];
  /** Session panels, in the order they were opened. */
  readonly panels: readonly PanelState[];
  /** The id the next panel gets. */
  readonly nextPanel: number;
  /** The last error the portal reported. */
  readonly alert: string | null;
  readonly lost: boolean;
  /** An administrator: the console offers the management page. */
  readonly admin: boolean;
  /** A team manager: the console offers the management page for their teams. */
  readonly manager: boolean;
  /** May see session reports: the console offers the reports page. */
  readonly reportsAllowed: boolean;
  /** The functions the policy allows (null: the portal named none, so all). See policy.ts. */
  readonly functions: readonly FunctionName[] | null;
  /** The management page is shown instead of the console. */
  readonly managing: boolean;
  /** The latest management state (null until the first answer), without `added`. */
  readonly management: ManagementView | null;
  /** A manage request was sent and not answered yet: its error belongs to the page. */
  readonly managePending: boolean;
  /** What the portal refused while the page was open (cleared by the next answer). */
  readonly manageError: string | null;
  /**
   * The representative just added (or reset) and their one-time password: shown on the page
   * until dismissed, the page closes or the connection is lost, and kept nowhere else. An
   * answer's `added` that arrives while the page is closed is not kept.
   */
  readonly repAdded: AddedNotice | null;
  /** A sign_out or reset_sign_in was sent: its answer's notice says so. */
  readonly accountPending: AccountPending | null;
  /** What the page says after a sign_out (until the next request or the page closes). */
  readonly manageNotice: string | null;
  /** The reports page is shown instead of the console. */
  readonly reporting: boolean;
  /** The latest report (null until the first answer after the page opened). */
  readonly report: ReportView | null;
  /** A report was asked for and not answered yet: its error belongs to the page. */
  readonly reportPending: boolean;
  readonly reportError: string | null;
  /** The recording of this session was asked for (replay.ts): its error belongs to the page. */
  readonly recordingPending: number | null;
  /** The recording replayed on the reports page, in place of the report. */
  readonly replay: ReplayOpen | null;
  /** The Account page is shown instead of the console. */
  readonly accountOpen: boolean;
  /** One's own second factor (account.ts). */
  readonly factor: FactorState;
}

export type Effect =
  | { kind: "logged_in" }
  /** A query that was not in the previous list: beep and notify. */
  | { kind: "new_query"; query: Query }
  /** Ask the console's connection for a panel ticket for this code. */
  | { kind: "panel_ticket"; code: string }
  /** Open panel `panel`'s own connection and present `ticket` (a secret: never kept). */
  | { kind: "open_panel"; panel: number; ticket: string }
  /** The code's panel is open already: bring it into view. */
  | { kind: "focus_panel"; panel: number };

export function initialConsole(): ConsoleState {
  return {
    name: null,
    portal: null,
    user: null,
    portalUrl: null,
    loggingIn: false,
    loginError: null,
    otpNeeded: false,
    otpPrompt: null,
    signedOut: null,
    queries: [],
    queues: [],
    accepting: false,
    alerts: 0,
    codes: [],
    codeStatus: null,
    codePending: false,
    taken: [],
    panels: [],
    nextPanel: 1,
    alert: null,
    lost: false,
    admin: false,
    manager: false,
    reportsAllowed: false,
    functions: null,
    managing: false,
    management: null,
    managePending: false,
    manageError: null,
    repAdded: null,
    accountPending: null,
    manageNotice: null,
    reporting: false,
    report: null,
    reportPending: false,
    reportError: null,
    recordingPending: null,
    replay: null,
    accountOpen: false,
    factor: initialFactor(),
  };
}

/** Error kinds that are about codes: shown in the codes view too. */
const CODE_ERRORS: readonly ErrorKind[] = [
  "too_many_codes",
  "mail_failed",
  "code_unknown",
  "code_expired",
  "code_redeemed",
  "code_cancelled",
];

/** What a refused escalate_request answers. */
const ESCALATE_ERRORS: readonly ErrorKind[] = ["request_gone", "bad_request", "internal"];

/** What a refused panel_ticket answers. */
const TICKET_ERRORS: readonly ErrorKind[] = [
  "code_unknown",
  "code_expired",
  "code_cancelled",
  "code_redeemed",
  "unauthorized",
  "internal",
];

/** A request_gone this soon after close_request is that close's answer. */
export const CLOSE_ERROR_WINDOW_MS = 5000;

/** Queries in `next` that were not in `prev` (by request id), in `next`'s order. */
export function newQueries(prev: readonly Query[], next: readonly Query[]): Query[] {
  const known = new Set(prev.map((q) => q.request));
  return next.filter((q) => !known.has(q.request));
}

function timed<T>(value: T, arrivedMs: number): Timed<T> {
  return { value, arrivedMs };
}

function codeInfo(msg: CodeInfo): CodeInfo {
  const { code, customer, portal, expires_in_secs, join_url, invitation } = msg;
  return { code, customer, portal, expires_in_secs, join_url, invitation };
}

/** Applies one message from the portal at `nowMs`. */
export function consoleUpdate(
  s: ConsoleState,
  msg: PortalMessage,
  nowMs: number,
): [ConsoleState, Effect[]] {
  switch (msg.type) {
    case "logged_in": {
      const admin = msg.admin ?? false;
      const manager = msg.manager ?? false;
      const reportsAllowed = msg.reports ?? false;
      const managing = s.managing && (admin || manager);
      const next: ConsoleState = {
        ...s,
        name: msg.name,
        portalUrl: msg.portal_url ?? null,
        loggingIn: false,
        loginError: null,
        // A login the portal asked a code for was of an account with a second factor on.
        otpNeeded: false,
        otpPrompt: null,
        signedOut: null,
        factor: initialFactor(s.otpNeeded),
        alert: null,
        admin,
        manager,
        reportsAllowed,
        functions: msg.functions ?? null,
        managing,
        repAdded: managing ? s.repAdded : null,
        reporting: s.reporting && reportsAllowed,
      };
      return [next, [{ kind: "logged_in" }]];
    }
    case "functions":
      return [{ ...s, functions: msg.allowed }, []];
    case "management": {
      // The first password goes to the notice alone, never into the kept state; one that comes
      // after the page closed is dropped (the notice went with the page).
      const { functions, teams, members, portals, you, powers, added } = msg;
      const management = { functions, teams, members, portals, you, powers };
      const pending = s.accountPending;
      const reset = pending?.op === "reset_sign_in" && pending.user === added?.user;
      const repAdded = !s.managing
        ? null
        : added === undefined
          ? s.repAdded
          : { user: added.user, password: added.password, ...(reset ? { reset: true } : {}) };
      const manageNotice = pending?.op === "sign_out" ? signedOutWords(pending.user) : s.manageNotice;
      return [{ ...s, management, managePending: false, manageError: null, repAdded, accountPending: null, manageNotice }, []];
    }
    case "report": {
      const { sessions, truncated, csv } = msg;
      return [{ ...s, report: { sessions, truncated, csv }, reportPending: false, reportError: null }, []];
    }
    case "recording":
      return [recordingAnswer(s, msg.session, msg.url), []];
    case "second_factor":
      return [factorAnswer(s, msg), []];
    case "queries": {
      const fresh = newQueries(
        s.queries.map((q) => q.value),
        msg.queries,
      );
      const next: ConsoleState = {
        ...s,
        queries: msg.queries.map((q) => timed(q, nowMs)),
        queues: msg.queues,
        accepting: msg.accepting,
        alerts: s.alerts + fresh.length,
      };
      return [next, fresh.map((query) => ({ kind: "new_query", query }))];
    }
    case "code_created": {
      const info = codeInfo(msg);
      const codes = [timed(info, nowMs), ...s.codes.filter((c) => c.value.code !== info.code)];
      const status = `Code ${groupDigits(info.code)} created for ${info.customer}.`;
      return [{ ...s, codes, codeStatus: status, codePending: false }, []];
    }
    case "codes":
      return [{ ...s, codes: msg.codes.map((c) => timed(c, nowMs)) }, []];
    case "code_cancelled": {
      const codes = s.codes.filter((c) => c.value.code !== msg.code);
      const status = `Code ${groupDigits(msg.code)} cancelled.`;
      return [{ ...s, codes, codeStatus: status, codePending: false }, []];
    }
    case "code_emailed":
      return [{ ...s, codeStatus: `Invitation sent to ${msg.to}`, codePending: false }, []];
    case "request_taken": {
      const code = msg.code === undefined ? null : timed(msg.code, nowMs);
      const old = s.taken.find((p) => p.request === msg.request);
      const escalating = code === null && (old?.escalating ?? false);
      const pane: TakenPane = {
        request: msg.request,
        customer: msg.customer,
        portal: msg.portal,
        chatStart: msg.chat_start,
        code: code ?? old?.code ?? null,
        chat: old?.chat ?? [],
        escalating,
        escalatedAtMs: escalating ? (old?.escalatedAtMs ?? null) : null,
        closed: false,
        closedAtMs: null,
        error: code === null ? (old?.error ?? null) : null,
      };
      const taken = old === undefined
        ? [...s.taken, pane]
        : s.taken.map((p) => (p.request === msg.request ? pane : p));
      const codes = code === null ? s.codes : s.codes.filter((c) => c.value.code !== code.value.code);
      const next = { ...s, taken, codes };
      // The session of a taken request opens its panel by itself.
      if (code === null || activePanel(next, code.value.code) !== undefined) return [next, []];
      return openPanel(next, code.value.code, msg.customer, msg.request);
    }
    case "panel_ticket": {
      const panel = s.panels.find((p) => p.code === msg.code && p.phase === "ticket");
      if (panel === undefined) return [s, []];
      return [mapPanel(s, panel.id, ticketUsed), [{ kind: "open_panel", panel: panel.id, ticket: msg.ticket }]];
    }
    case "notes_saved": {
      // Notes sent on the console's own connection (the panel's was gone).
      const panel = s.panels.find((p) => p.session === msg.session);
      if (panel === undefined) return [s, []];
      return [mapPanel(s, panel.id, (p) => panelUpdate(p, msg, nowMs)), []];
    }
    case "web_chat": {
      if (!s.taken.some((p) => p.request === msg.request)) return [s, []];
      const line = { name: msg.name, text: msg.text, fromCustomer: msg.from_customer };
      const taken = s.taken.map((p) => (p.request === msg.request ? { ...p, chat: [...p.chat, line] } : p));
      return [{ ...s, taken }, []];
    }
    case "error":
      return [errorUpdate(s, msg.kind, msg.message, nowMs), []];
    case "welcome":
    case "portal":
    case "request_status":
    case "panel_waiting":
    case "joined":
    case "roster":
    case "chat":
    case "consent":
    case "customer_away":
    case "customer_back":
    case "invitation_answered":
    case "session_ended":
    case "reps":
    case "specialist_invited":
    case "specialist_invitation_cancelled":
    case "signal":
      return [s, []];
  }
}

/** An error: the login form's, an open page's (shown there too), or routed by routeError. */
function errorUpdate(prev: ConsoleState, kind: ErrorKind, message: string, nowMs: number): ConsoleState {
  if (kind === "second_factor" && prev.name === null) return otpAsked(prev, message);
  const s = prev.name !== null && endsSignIn(kind, message) ? { ...prev, signedOut: message } : prev;
  // One answering a page's request is the page's alone.
  if (s.accountOpen && s.factor.pending) return factorRefused(s, message);
  if (s.accountOpen) return factorRefused(routeError(s, kind, message, nowMs), message);
  if (s.managing && s.managePending) return { ...s, managePending: false, accountPending: null, manageError: message };
  if (s.reporting && s.reportPending) return { ...s, reportPending: false, reportError: message };
  if (s.reporting && s.recordingPending !== null) return recordingRefused(s, message);
  const next = routeError(s, kind, message, nowMs);
  if (s.managing) return { ...next, manageError: message };
  return s.reporting ? { ...next, reportError: message } : next;
}

/** An error of the console's own connection, given to what caused it (see the top). */
function routeError(s: ConsoleState, kind: ErrorKind, message: string, nowMs: number): ConsoleState {
  const next: ConsoleState = { ...s, alert: message };
  if (s.name === null) return { ...next, loggingIn: false, loginError: message };
  const escalation = oldest(s.taken.filter((p) => p.escalating), (p) => p.escalatedAtMs);
  if (escalation !== undefined && ESCALATE_ERRORS.includes(kind)) {
    return mapPane(next, escalation.request, (p) => ({ ...p, escalating: false, escalatedAtMs: null, error: message }));
  }
  const closing = s.taken.filter(
    (p) => p.closedAtMs !== null && p.error === null && nowMs - p.closedAtMs <= CLOSE_ERROR_WINDOW_MS,
  );
  const closed = oldest(closing, (p) => -(p.closedAtMs ?? 0));
  if (closed !== undefined && kind === "request_gone") {
    return mapPane(next, closed.request, (p) => ({ ...p, error: message }));
  }
  const ticket = s.panels.find((p) => p.phase === "ticket");
  if (ticket !== undefined && TICKET_ERRORS.includes(kind)) {
    return mapPanel(next, ticket.id, (p) => failed(p, message));
  }
  if (s.codePending || CODE_ERRORS.includes(kind)) return { ...next, codeStatus: message, codePending: false };
  return next;
}

/** The item with the smallest `key` (the first of equals). */
function oldest<T>(items: readonly T[], key: (item: T) => number | null): T | undefined {
  let best: T | undefined;
  for (const item of items) {
    if (best === undefined || (key(item) ?? 0) < (key(best) ?? 0)) best = item;
  }
  return best;
}

function mapPane(s: ConsoleState, request: number, f: (p: TakenPane) => TakenPane): ConsoleState {
  return { ...s, taken: s.taken.map((p) => (p.request === request ? f(p) : p)) };
}

/** Applies `f` to panel `id`. */
export function mapPanel(s: ConsoleState, id: number, f: (p: PanelState) => PanelState): ConsoleState {
  return { ...s, panels: s.panels.map((p) => (p.id === id ? f(p) : p)) };
}

/** A message on panel `id`'s own connection. */
export function panelMessage(s: ConsoleState, id: number, msg: PortalMessage, nowMs: number): ConsoleState {
  return mapPanel(s, id, (p) => panelUpdate(p, msg, nowMs));
}

/** The open (not ended, not lost) panel of `code`, if any. */
export function activePanel(s: ConsoleState, code: string): PanelState | undefined {
  return s.panels.find(
    (p) => p.code === code && !p.lost && p.phase !== "ended" && p.phase !== "failed",
  );
}

/**
 * Opens a panel on the session of `code` (of taken request `request`, if any): asks for a
 * ticket, replacing an earlier panel of the code that is over; brings an open one into view.
 */
export function openPanel(
  s: ConsoleState,
  code: string,
  customer: string,
  request: number | null,
): [ConsoleState, Effect[]] {
  const open = activePanel(s, code);
  if (open !== undefined) return [s, [{ kind: "focus_panel", panel: open.id }]];
  const panel = initialPanel(s.nextPanel, code, customer, request);
  // An earlier panel of the code, or of a request's replaced code, that is not live goes.
  const replaced = (p: PanelState): boolean =>
    p.code === code || (request !== null && p.request === request && p.phase !== "live");
  const panels = [...s.panels.filter((p) => !replaced(p)), panel];
  return [{ ...s, panels, nextPanel: s.nextPanel + 1 }, [{ kind: "panel_ticket", code }]];
}

/** The representative closed panel `id`'s pane. */
export function closePanel(s: ConsoleState, id: number): ConsoleState {
  return { ...s, panels: s.panels.filter((p) => p.id !== id) };
}

/** The Log in button was pressed. */
export function loginSent(s: ConsoleState, portal: string | null, user: string | null = null): ConsoleState {
  return { ...s, portal, user, loggingIn: true, loginError: null, lost: false, signedOut: null };
}

/** A code operation (create, email, cancel) was sent. */
export function codeSent(s: ConsoleState): ConsoleState {
  return { ...s, codePending: true, codeStatus: null };
}

export function escalateSent(s: ConsoleState, request: number, nowMs: number): ConsoleState {
  return mapPane(s, request, (p) => ({ ...p, escalating: true, escalatedAtMs: nowMs, error: null }));
}

/** close_request was sent: the pane shows it closed at once (see CLOSE_ERROR_WINDOW_MS). */
export function closeSent(s: ConsoleState, request: number, nowMs: number): ConsoleState {
  const next = mapPane(s, request, (p) => ({ ...p, closed: true, closedAtMs: nowMs, error: null }));
  return { ...next, panels: next.panels.map((p) => (p.request === request ? requestClosed(p) : p)) };
}

/** Removes a closed pane (and its session panel). */
export function dismissPane(s: ConsoleState, request: number): ConsoleState {
  return {
    ...s,
    taken: s.taken.filter((p) => p.request !== request),
    panels: s.panels.filter((p) => p.request !== request),
  };
}

/** The management page opens (administrators and team managers); the shell asks for its state. */
export function openManagement(s: ConsoleState): ConsoleState {
  if (!(s.admin || s.manager) || s.name === null) return s;
  return { ...closeAccount(closeReports(s)), managing: true, managePending: true, manageError: null };
}

/** Back to the console (the one-time-password notice goes with the page). */
export function closeManagement(s: ConsoleState): ConsoleState {
  return { ...s, managing: false, managePending: false, manageError: null, repAdded: null, accountPending: null, manageNotice: null };
}

/** The Account page opens (anyone logged in). */
export function openAccount(s: ConsoleState): ConsoleState {
  if (s.name === null) return s;
  return { ...closeReports(closeManagement(s)), accountOpen: true, factor: { ...s.factor, pending: false, error: null } };
}

/** Back to the console; an unfinished setup's secret goes with the page. */
export function closeAccount(s: ConsoleState): ConsoleState {
  return { ...s, accountOpen: false, factor: { ...s.factor, setup: null, pending: false, error: null } };
}

/** The representative put the first-password notice away. */
export function dismissAdded(s: ConsoleState): ConsoleState {
  return { ...s, repAdded: null };
}

/** The reports page opens (for those allowed); the shell asks for the first report. */
export function openReports(s: ConsoleState): ConsoleState {
  if (!s.reportsAllowed || s.name === null) return s;
  return { ...closeReports(closeAccount(closeManagement(s))), reporting: true };
}

/** Back to the console; the report goes with the page. */
export function closeReports(s: ConsoleState): ConsoleState {
  return { ...s, reporting: false, report: null, reportPending: false, reportError: null, recordingPending: null, replay: null };
}

/** A report was asked for. */
export function reportSent(s: ConsoleState): ConsoleState {
  return { ...s, reportPending: true, reportError: null };
}

/** The filter form was refused before sending: the page says why. */
export function reportInvalid(s: ConsoleState, why: string): ConsoleState {
  return { ...s, reportError: why };
}

/** A manage request was sent from the page (`msg`: which, for a sign_out's or reset's notice). */
export function manageSent(s: ConsoleState, msg?: ClientMessage): ConsoleState {
  const account = msg?.type === "manage" && (msg.op === "sign_out" || msg.op === "reset_sign_in")
    ? { op: msg.op, user: msg.user }
    : null;
  return { ...s, managePending: true, manageError: null, accountPending: account, manageNotice: null };
}

/** The representative put the last error away. */
export function dismissAlert(s: ConsoleState): ConsoleState {
  return { ...s, alert: null };
}

export function connectionLost(s: ConsoleState): ConsoleState {
  // The portal ended the sign-in: back to the login form with its words. Everything of the
  // sign-in goes, session panels (and their connections) too.
  if (s.signedOut !== null && s.name !== null) return { ...initialConsole(), loginError: s.signedOut };
  // Panels asking for a ticket get none now; open ones have connections of their own.
  const panels = s.panels.map((p) => (p.phase === "ticket" ? failed(p, "The console's connection to the portal was lost.") : p));
  // Secrets shown once go too: a one-time password's notice and an unfinished setup's secret
  // (the page offers a new setup after signing in again).
  const factor = { ...s.factor, setup: null, pending: false };
  return {
    ...s,
    lost: true,
    loggingIn: false,
    panels,
    managePending: false,
    accountPending: null,
    repAdded: null,
    reportPending: false,
    recordingPending: null,
    factor,
  };
}

/** A query's waiting time, counting up: "Waiting 1:05". */
export function waitingText(q: Timed<Query>, nowMs: number): string {
  return `Waiting ${formatDuration(secondsSince(q.value.waiting_secs, q.arrivedMs, nowMs))}`;
}

/** A queue offer's own countdown, or null when the query has none. */
export function offerText(q: Timed<Query>, nowMs: number): string | null {
  const secs = q.value.offer_expires_in_secs;
  if (secs === undefined) return null;
  const left = secondsLeft(secs, q.arrivedMs, nowMs);
  return left > 0 ? `Offer moves on in ${formatDuration(left)}` : "Offer moving on…";
}

/** A code's countdown ("m:ss", "expired"). */
export function codeCountdown(c: Timed<CodeInfo>, nowMs: number): string {
  return formatCountdown(secondsLeft(c.value.expires_in_secs, c.arrivedMs, nowMs));
}

/** What a desktop notification for a new query says. */
export function queryNotification(q: Query): { title: string; body: string } {
  const body = q.question.trim() === "" ? `On ${q.portal}` : q.question;
  return { title: `${q.customer} needs help`, body };
}
