// The customer portal page's logic, without the DOM: state + message → state, and the
// sentences the page shows. customer_view.ts draws it.

import { aboutMinutes, parseCode, representatives } from "./format";
import type { FieldSpec, PortalMessage, PortalPage, RequestState } from "./wire";

export interface ChatLine {
  name: string;
  text: string;
  fromCustomer: boolean;
}

export interface CustomerState {
  /** The portal's name from the address (`/p/<name>`). */
  readonly portal: string;
  /** The portal's page, once it answered. */
  readonly page: PortalPage | null;
  /** The portal said there is no portal of that name. */
  readonly noPortal: boolean;
  /** The help request, once the portal reported on it. */
  readonly request: number | null;
  readonly status: RequestState | null;
  /** The representative's name, once one accepted. */
  readonly repName: string | null;
  /** The request was accepted for Web Chat: the chat stays on the page from then on. */
  readonly chatOpen: boolean;
  readonly chat: readonly ChatLine[];
  /** request_help was sent and not answered yet. */
  readonly sending: boolean;
  /** The portal refused the form (or the page's own check did). */
  readonly formError: string | null;
  /** Any other error the portal reported. */
  readonly error: string | null;
  /** The connection is gone. */
  readonly lost: boolean;
}

export function initialCustomer(portal: string): CustomerState {
  return {
    portal,
    page: null,
    noPortal: false,
    request: null,
    status: null,
    repName: null,
    chatOpen: false,
    chat: [],
    sending: false,
    formError: null,
    error: null,
    lost: false,
  };
}

/** The sentence for a portal that does not exist. */
export const NO_PORTAL = "There is no support portal at this address.";
export const CLOSED = "This support portal is closed right now.";
export const NOBODY_ONLINE = "No one is available to help right now. Please try again later.";

/** Applies one message from the portal. Messages for other pages are ignored. */
export function customerUpdate(s: CustomerState, msg: PortalMessage): CustomerState {
  switch (msg.type) {
    case "portal": {
      const { type: _type, ...page } = msg;
      return { ...s, page, noPortal: false };
    }
    case "request_status": {
      if (s.request !== null && msg.request !== s.request) return s;
      const state = msg.state;
      const accepted = state.state === "accepted";
      return {
        ...s,
        request: msg.request,
        status: state,
        sending: false,
        formError: null,
        error: null,
        repName: accepted ? state.rep_name : s.repName,
        chatOpen: s.chatOpen || (accepted && state.chat_start === "web_chat"),
      };
    }
    case "web_chat": {
      if (msg.request !== s.request) return s;
      const line = { name: msg.name, text: msg.text, fromCustomer: msg.from_customer };
      return { ...s, chat: [...s.chat, line] };
    }
    case "error": {
      if (msg.kind === "portal_unknown") return { ...s, noPortal: true, sending: false };
      if (s.sending) return { ...s, sending: false, formError: msg.message };
      return { ...s, error: msg.message };
    }
    case "welcome":
    case "logged_in":
    case "functions":
    case "management":
    case "report":
    case "recording":
    case "second_factor":
    case "code_created":
    case "codes":
    case "code_cancelled":
    case "code_emailed":
    case "queries":
    case "request_taken":
    case "notes_saved":
    case "panel_ticket":
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
      return s;
  }
}

/** The page sent request_help. */
export function requestSent(s: CustomerState): CustomerState {
  return { ...s, sending: true, formError: null, error: null };
}

/** The customer cancelled their request (the portal confirms, or says nothing more). */
export function withdrawn(s: CustomerState): CustomerState {
  return { ...s, status: { state: "ended", reason: "You cancelled your request." } };
}

export function connectionLost(s: CustomerState): CustomerState {
  return { ...s, lost: true, sending: false };
}

/** Why the form cannot be used now, or null when it can. */
export function unavailableReason(page: PortalPage): string | null {
  if (page.availability === "closed") return CLOSED;
  if (page.mode === "smart_pin") return null;
  if (page.availability === "nobody_online") return NOBODY_ONLINE;
  if (page.mode === "smart_match" && page.reps.length === 0) return NOBODY_ONLINE;
  return null;
}

/** Whether the request is still waiting for someone (and may be withdrawn). */
export function mayWithdraw(status: RequestState | null): boolean {
  return status !== null && (status.state === "waiting" || status.state === "ringing");
}

/** The main sentence for where the request stands. */
export function statusSentence(status: RequestState, repName: string | null): string {
  const rep = repName ?? "Your representative";
  switch (status.state) {
    case "waiting":
      if (status.position !== undefined) return "You are waiting for the next free representative.";
      if (status.reps_online === 0)
        return "Your request is waiting for a representative. Please keep this page open.";
      return (
        `Your request was sent to the ${representatives(status.reps_online)} online. ` +
        "Please keep this page open."
      );
    case "ringing":
      return "A representative is looking at your request…";
    case "accepted":
      return status.chat_start === "web_chat"
        ? `${status.rep_name} is here to help.`
        : `${status.rep_name} accepted. Start the customer app to share your screen.`;
    case "app_needed":
      return `${rep} is waiting for the Tandem customer app.`;
    case "in_session":
      return "Your screen is being shared in the Tandem customer app.";
    case "ended":
      return status.reason.trim() === "" ? "Your request has ended." : status.reason;
  }
}

/** Queue mode: "Estimated wait: about 5 minutes". */
export function etaSentence(secs: number): string {
  return `Estimated wait: ${aboutMinutes(secs)}`;
}

/** The app-needed panel's sentence. */
export function appNeededSentence(repName: string | null): string {
  return (
    `${repName ?? "Your representative"} would like to see your screen. ` +
    "Open this link and start the Tandem customer app:"
  );
}

/** The page's own check of a typed code: the digits, or the sentence to show. */
export function checkCode(typed: string): { code: string } | { error: string } {
  const code = parseCode(typed);
  return code === null
    ? { error: "Please enter the 9 digits of your code, for example 123 456 789." }
    : { code };
}

/** Where a code goes: the portal checks it and shows the join page or a clear error. */
export function joinPath(portal: string, code: string): string {
  return `/p/${encodeURIComponent(portal)}/join?code=${code}`;
}

/** The page's own check of the request form, before the portal checks it again. */
export function checkForm(
  name: string,
  fields: readonly FieldSpec[],
  values: readonly string[],
): string | null {
  if (name.trim() === "") return "Please enter your name.";
  const missing = fields.filter((f, i) => f.required && (values[i] ?? "").trim() === "");
  if (missing.length > 0) return `Please fill in: ${missing.map((f) => f.label).join(", ")}.`;
  const digitsOnly = fields.filter(
    (f, i) => f.kind === "number" && !/^\d*$/.test((values[i] ?? "").trim()),
  );
  if (digitsOnly.length > 0)
    return `Please use digits only in: ${digitsOnly.map((f) => f.label).join(", ")}.`;
  return null;
}

/** Longest text a field accepts. */
export function maxLength(kind: FieldSpec["kind"] | "question"): number {
  return kind === "long_text" || kind === "question" ? 2000 : 200;
}
