// The console's session panel, without the DOM: one panel per session code, on a WebSocket
// of its own that acts as the session's host (roster, chat, consent, invitations, the end).
// `panelUpdate(panel, message, now)` applies what the panel's connection receives; the other
// functions record what the representative did. session_panel_view.ts draws it.
//
// How a panel opens: the console asks its logged-in connection for a ticket (panel_ticket),
// opens a new connection with it (open_session_panel), and the portal answers panel_waiting
// until the customer starts the customer app, then joined.

import { formatDuration, secondsLeft } from "./format";
import { CONTROL, hasRights } from "./rights";
import type { AttendeeInfo, PortalMessage, RepPresence, Rights } from "./wire";

export type PanelPhase =
  /** The console asked for a ticket. */
  | "ticket"
  /** The panel's own connection presented the ticket. */
  | "connecting"
  /** The customer has not started the customer app yet. */
  | "waiting"
  /** The session runs. */
  | "live"
  /** The session is over (ended by anyone). */
  | "ended"
  /** The panel could not be opened (the error says why). */
  | "failed";

export interface SessionChatLine {
  readonly from: number;
  readonly name: string;
  readonly text: string;
  readonly repsOnly: boolean;
}

/** A specialist invitation of this session. */
export interface SpecialistBox {
  readonly key: string;
  readonly joinUrl: string;
  readonly email: string;
  readonly rights: Rights;
  readonly cancelled: boolean;
}

export interface PanelState {
  /** Unique in this console (a code may be opened again after its pane was closed). */
  readonly id: number;
  readonly code: string;
  /** The taken request this session belongs to, if any (its pane shows the panel). */
  readonly request: number | null;
  /** The code's customer; the name the customer app reported once it joined. */
  readonly customer: string;
  readonly phase: PanelPhase;
  /** The session's number (from joined), for save_notes. */
  readonly session: number | null;
  /** The customer's machine is away: why, for how long, and when that arrived. */
  readonly away: { readonly reason: string; readonly waitSecs: number; readonly arrivedMs: number } | null;
  readonly endReason: string | null;
  readonly attendees: readonly AttendeeInfo[];
  /** What the customer allowed, per attendee. */
  readonly consents: readonly { readonly attendee: number; readonly allowed: Rights }[];
  readonly chat: readonly SessionChatLine[];
  /** The representatives logged in (null until listed). */
  readonly reps: readonly RepPresence[] | null;
  readonly specialists: readonly SpecialistBox[];
  /** The last thing worth telling ("Invitation sent to Bob."). */
  readonly notice: string | null;
  readonly notesStatus: string | null;
  readonly error: string | null;
  /** The panel's connection is gone. */
  readonly lost: boolean;
}

export const ENDED_BY_REP = "The representative ended the session.";
const SAVING = "Saving…";

export function initialPanel(id: number, code: string, customer: string, request: number | null): PanelState {
  return {
    id,
    code,
    request,
    customer,
    phase: "ticket",
    session: null,
    away: null,
    endReason: null,
    attendees: [],
    consents: [],
    chat: [],
    reps: null,
    specialists: [],
    notice: null,
    notesStatus: null,
    error: null,
    lost: false,
  };
}

/** Applies one message of the panel's own connection at `nowMs`. */
export function panelUpdate(p: PanelState, msg: PortalMessage, nowMs: number): PanelState {
  switch (msg.type) {
    case "panel_waiting":
      if (msg.code !== p.code || p.phase !== "connecting") return p;
      return { ...p, phase: "waiting", error: null };
    case "joined":
      if (p.phase === "ended" || p.phase === "failed") return p;
      return { ...p, phase: "live", session: msg.session, customer: msg.customer, away: null, error: null };
    case "roster":
      return { ...p, attendees: msg.attendees };
    case "chat": {
      const line = { from: msg.from, name: msg.name, text: msg.text, repsOnly: msg.reps_only };
      return { ...p, chat: [...p.chat, line] };
    }
    case "consent": {
      const others = p.consents.filter((c) => c.attendee !== msg.attendee);
      return { ...p, consents: [...others, { attendee: msg.attendee, allowed: msg.allowed }] };
    }
    case "customer_away":
      if (p.phase === "ended" || p.phase === "failed") return p;
      return { ...p, away: { reason: msg.reason, waitSecs: msg.wait_secs, arrivedMs: nowMs } };
    case "customer_back":
      return { ...p, away: null, notice: "The customer's computer is back." };
    case "invitation_answered":
      return { ...p, notice: `${msg.by} ${msg.accepted ? "accepted" : "declined"} the invitation.` };
    case "session_ended":
      return { ...p, phase: "ended", endReason: msg.reason, away: null };
    case "reps":
      return { ...p, reps: msg.reps };
    case "specialist_invited": {
      const box: SpecialistBox = { key: msg.key, joinUrl: msg.join_url, email: msg.email, rights: msg.rights, cancelled: false };
      return { ...p, specialists: [...p.specialists.filter((s) => s.key !== msg.key), box], error: null };
    }
    case "signal":
      return p;
    case "specialist_invitation_cancelled":
      return {
        ...p,
        specialists: p.specialists.map((s) => (s.key === msg.key ? { ...s, cancelled: true } : s)),
      };
    case "notes_saved":
      return msg.session === p.session ? { ...p, notesStatus: "Notes saved", error: null } : p;
    case "error":
      return failed(p, msg.message);
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
    case "portal":
    case "request_status":
    case "queries":
    case "request_taken":
    case "web_chat":
    case "panel_ticket":
      return p;
  }
}

/**
 * An error for this panel: while it is being opened the panel could not open (a refused
 * ticket or code); later it is shown and the panel stays as it is.
 */
export function failed(p: PanelState, message: string): PanelState {
  const opening = p.phase === "ticket" || p.phase === "connecting";
  const notes = p.notesStatus === SAVING ? null : p.notesStatus;
  return { ...p, error: message, notesStatus: notes, phase: opening ? "failed" : p.phase };
}

/** The ticket arrived and the panel's connection presents it. */
export function ticketUsed(p: PanelState): PanelState {
  return p.phase === "ticket" ? { ...p, phase: "connecting" } : p;
}

/** The panel's connection closed. */
export function panelLost(p: PanelState): PanelState {
  return { ...p, lost: true, away: null };
}

/** The representative did something: an older error no longer applies. */
export function acted(p: PanelState, notice: string | null = p.notice): PanelState {
  return { ...p, error: null, notice };
}

/** end_session was sent; the portal tells everyone else, not the one who ended it. */
export function endSent(p: PanelState): PanelState {
  return { ...acted(p), phase: "ended", endReason: ENDED_BY_REP, away: null };
}

export function notesSent(p: PanelState): PanelState {
  return { ...acted(p), notesStatus: SAVING };
}

/** The representative closed the taken request this panel belongs to. */
export function requestClosed(p: PanelState): PanelState {
  if (p.phase === "live" || p.phase === "ended" || p.phase === "failed") return p;
  // Closing the request cancels its code: no session will start for a waiting panel.
  return { ...p, phase: "ended", endReason: "The request was closed." };
}

/** Whether the panel acts on the session now (chat, invite, rights, end). */
export function mayAct(p: PanelState): boolean {
  return p.phase === "live" && !p.lost;
}

/** Whether notes can be saved: the session is known (the console's own connection stays). */
export function maySaveNotes(p: PanelState): boolean {
  return p.session !== null;
}

/** The panel's status line at `nowMs`. */
export function panelStatus(p: PanelState, nowMs: number): string {
  switch (p.phase) {
    case "ticket":
    case "connecting":
      return p.lost ? "Could not reach the session." : "Opening the session…";
    case "failed":
      return "The session could not be opened.";
    case "ended":
      return `Session ended: ${p.endReason ?? "the session is over."}`;
    case "waiting":
      return p.lost
        ? "The connection to this session was lost. Close this pane and open the session again."
        : "Waiting for the customer to start the customer app…";
    case "live":
      if (p.lost) return "The connection to this session was lost. Close this pane and open the session again.";
      if (p.away !== null) {
        const left = secondsLeft(p.away.waitSecs, p.away.arrivedMs, nowMs);
        return `The customer's computer is restarting or away; waiting for it (${formatDuration(left)} left)…`;
      }
      return "Customer connected";
  }
}

/** Which buttons an attendee's row gets: only invited attendees are managed. */
export interface RowButtons {
  readonly grantControl: boolean;
  readonly revokeControl: boolean;
  readonly remove: boolean;
}

/**
 * `specialistControl`: whether the policy lets this host give specialists control (see
 * policy.ts); without it a specialist's row offers no "Allow control".
 */
export function rowButtons(a: AttendeeInfo, specialistControl = true): RowButtons {
  const managed = a.role === "representative" || a.role === "specialist";
  const control = hasRights(a.rights, CONTROL);
  const mayGrant = a.role !== "specialist" || specialistControl;
  return { grantControl: managed && !control && mayGrant, revokeControl: managed && control, remove: managed };
}

/** What the customer allowed an attendee, or null when they have not answered. */
export function consentOf(p: PanelState, attendee: number): Rights | null {
  return p.consents.find((c) => c.attendee === attendee)?.allowed ?? null;
}

/** The representatives whose name or portal contains `search` (any case). */
export function filterReps(reps: readonly RepPresence[], search: string): RepPresence[] {
  const q = search.trim().toLowerCase();
  if (q === "") return [...reps];
  return reps.filter((r) => r.name.toLowerCase().includes(q) || r.portal.toLowerCase().includes(q));
}

/** The distinct portals of `reps`, sorted. */
export function portalsOf(reps: readonly RepPresence[]): string[] {
  return [...new Set(reps.map((r) => r.portal))].sort();
}

/** "1 active session" / "3 active sessions". */
export function activeSessions(n: number): string {
  return n === 1 ? "1 active session" : `${n} active sessions`;
}
