// The representative console's logic, without the DOM (iced-like): `consoleUpdate(state,
// message, now)` returns the next state and the effects for the shell to perform (a beep and
// a desktop notification for a new query, asking for notification permission on login).
// console_view.ts and its parts draw the state.

import { formatCountdown, formatDuration, groupDigits, secondsLeft, secondsSince } from "./format";
import type { ChatLineData } from "./chat_view";
import type { ChatStart, CodeInfo, ErrorKind, PortalMessage, Query, QueueLength } from "./wire";

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
  /** close_request was sent. */
  readonly closed: boolean;
}

export interface ConsoleState {
  /** Logged in as this display name (null: the login form is shown). */
  readonly name: string | null;
  /** The portal the representative logged in on (codes are made for it). */
  readonly portal: string | null;
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
  /** The last error the portal reported. */
  readonly alert: string | null;
  readonly lost: boolean;
}

export type Effect =
  | { kind: "logged_in" }
  /** A query that was not in the previous list: beep and notify. */
  | { kind: "new_query"; query: Query };

export function initialConsole(): ConsoleState {
  return {
    name: null,
    portal: null,
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
    alert: null,
    lost: false,
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
    case "logged_in":
      return [{ ...s, name: msg.name, loggingIn: false, loginError: null, alert: null }, [{ kind: "logged_in" }]];
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
      const pane: TakenPane = {
        request: msg.request,
        customer: msg.customer,
        portal: msg.portal,
        chatStart: msg.chat_start,
        code: code ?? old?.code ?? null,
        chat: old?.chat ?? [],
        escalating: code === null && (old?.escalating ?? false),
        closed: false,
      };
      const taken = old === undefined
        ? [...s.taken, pane]
        : s.taken.map((p) => (p.request === msg.request ? pane : p));
      const codes = code === null ? s.codes : s.codes.filter((c) => c.value.code !== code.value.code);
      return [{ ...s, taken, codes }, []];
    }
    case "web_chat": {
      if (!s.taken.some((p) => p.request === msg.request)) return [s, []];
      const line = { name: msg.name, text: msg.text, fromCustomer: msg.from_customer };
      const taken = s.taken.map((p) => (p.request === msg.request ? { ...p, chat: [...p.chat, line] } : p));
      return [{ ...s, taken }, []];
    }
    case "error": {
      const next: ConsoleState = { ...s, alert: msg.message };
      if (s.name === null) return [{ ...next, loggingIn: false, loginError: msg.message }, []];
      if (s.codePending || CODE_ERRORS.includes(msg.kind))
        return [{ ...next, codeStatus: msg.message, codePending: false }, []];
      return [next, []];
    }
    case "welcome":
    case "portal":
    case "request_status":
    case "notes_saved":
      return [s, []];
  }
}

/** The Log in button was pressed. */
export function loginSent(s: ConsoleState, portal: string | null): ConsoleState {
  return { ...s, portal, loggingIn: true, loginError: null, lost: false };
}

/** A code operation (create, email, cancel) was sent. */
export function codeSent(s: ConsoleState): ConsoleState {
  return { ...s, codePending: true, codeStatus: null };
}

export function escalateSent(s: ConsoleState, request: number): ConsoleState {
  return { ...s, taken: s.taken.map((p) => (p.request === request ? { ...p, escalating: true } : p)) };
}

export function closeSent(s: ConsoleState, request: number): ConsoleState {
  return { ...s, taken: s.taken.map((p) => (p.request === request ? { ...p, closed: true } : p)) };
}

/** Removes a closed pane. */
export function dismissPane(s: ConsoleState, request: number): ConsoleState {
  return { ...s, taken: s.taken.filter((p) => p.request !== request) };
}

/** The representative put the last error away. */
export function dismissAlert(s: ConsoleState): ConsoleState {
  return { ...s, alert: null };
}

export function connectionLost(s: ConsoleState): ConsoleState {
  return { ...s, lost: true, loggingIn: false };
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
