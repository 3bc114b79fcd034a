// The representative console's logic, without the DOM (iced-like): `consoleUpdate(state,
// message, now)` returns the next state and the effects for the shell to perform (a beep and
// a desktop notification for a new query, asking for notification permission on login,
// asking for and using session panel tickets). console_view.ts and its parts draw the state.
//
// The portal's errors name no request: each goes to the operation that can have caused it
// (an escalation, a just-closed request, a panel's ticket, a code operation), else only to
// the alert.

import { formatCountdown, formatDuration, groupDigits, secondsLeft, secondsSince } from "./format";
import type { ChatLineData } from "./chat_view";
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
  CodeInfo,
  ErrorKind,
  FunctionName,
  ManagementView,
  PortalMessage,
  Query,
  QueueLength,
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
  /** The functions the policy allows (null: the portal named none, so all). See policy.ts. */
  readonly functions: readonly FunctionName[] | null;
  /** The management page is shown instead of the console. */
  readonly managing: boolean;
  /** The latest management state (null until the first answer). */
  readonly management: ManagementView | null;
  /** A manage request was sent and not answered yet: its error belongs to the page. */
  readonly managePending: boolean;
  /** What the portal refused while the page was open (cleared by the next answer). */
  readonly manageError: string | null;
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
    functions: null,
    managing: false,
    management: null,
    managePending: false,
    manageError: null,
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
      const next: ConsoleState = {
        ...s,
        name: msg.name,
        portalUrl: msg.portal_url ?? null,
        loggingIn: false,
        loginError: null,
        alert: null,
        admin,
        functions: msg.functions ?? null,
        managing: s.managing && admin,
      };
      return [next, [{ kind: "logged_in" }]];
    }
    case "functions":
      return [{ ...s, functions: msg.allowed }, []];
    case "management": {
      const { functions, teams, members, portals } = msg;
      const management = { functions, teams, members, portals };
      return [{ ...s, management, managePending: false, manageError: null }, []];
    }
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
    case "error": {
      // While the page is open every error shows on it; one answering a manage request is
      // the page's alone.
      if (s.managing && s.managePending) return [{ ...s, managePending: false, manageError: msg.message }, []];
      const next = routeError(s, msg.kind, msg.message, nowMs);
      return [s.managing ? { ...next, manageError: msg.message } : next, []];
    }
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
  return { ...s, portal, user, loggingIn: true, loginError: null, lost: false };
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

/** The management page opens (administrators only); the shell asks for its state. */
export function openManagement(s: ConsoleState): ConsoleState {
  if (!s.admin || s.name === null) return s;
  return { ...s, managing: true, managePending: true, manageError: null };
}

/** Back to the console. */
export function closeManagement(s: ConsoleState): ConsoleState {
  return { ...s, managing: false, managePending: false, manageError: null };
}

/** A manage request was sent from the page. */
export function manageSent(s: ConsoleState): ConsoleState {
  return { ...s, managePending: true, manageError: null };
}

/** The representative put the last error away. */
export function dismissAlert(s: ConsoleState): ConsoleState {
  return { ...s, alert: null };
}

export function connectionLost(s: ConsoleState): ConsoleState {
  // Panels asking for a ticket get none now; open ones have connections of their own.
  const panels = s.panels.map((p) => (p.phase === "ticket" ? failed(p, "The console's connection to the portal was lost.") : p));
  return { ...s, lost: true, loggingIn: false, panels, managePending: false };
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
