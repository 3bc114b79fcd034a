// The browser viewer's state as a pure function of what the portal and the agent said (the
// iced way: `viewerUpdate` in, the view renders the state). Side effects — answering an
// offer, opening the relay, closing the link — are the view's, driven by the same messages.

import { CONTROL, VIEW, hasRights } from "../rights";
import type { AttendeeId, AttendeeInfo, PortalMessage, Rights } from "../wire";

export type ViewerPhase =
  /** Asking the specialist's name. */
  | "name"
  /** join_as_specialist sent, no answer yet. */
  | "joining"
  /** In the session; waiting for the customer's computer to offer a link. */
  | "waiting"
  /** An offer or relay token arrived; the link is being set up. */
  | "connecting"
  /** The screen is shown. */
  | "live"
  /** The link or the portal connection dropped; the session goes on. */
  | "reconnecting"
  /** Over: ended, removed, or refused. */
  | "ended";

export interface ChatLine {
  readonly from: AttendeeId;
  readonly name: string;
  readonly text: string;
}

export interface ViewerState {
  readonly phase: ViewerPhase;
  readonly key: string;
  readonly linkToken: string | null;
  readonly name: string;
  readonly session: number | null;
  readonly you: AttendeeId | null;
  readonly customer: string;
  /** From `joined`: what gets this specialist back into its seat after a lost connection. */
  readonly seatToken: string | null;
  /** Rights in force, as the customer's agent says (Welcome / RightsChanged). */
  readonly rights: Rights;
  readonly attendees: readonly AttendeeInfo[];
  readonly chat: readonly ChatLine[];
  /** The latest thing the page tells the person (rights changed, customer away…). */
  readonly notice: string | null;
  /** Why the session is over (phase "ended"), or why joining failed. */
  readonly ended: string | null;
  readonly path: "direct" | "relay" | null;
}

/** Most chat lines kept; older ones scroll away (the portal may keep a transcript). */
export const MAX_CHAT_LINES = 500;

export function initialViewer(key: string, linkToken: string | null): ViewerState {
  return {
    phase: "name",
    key,
    linkToken,
    name: "",
    session: null,
    you: null,
    customer: "",
    seatToken: null,
    rights: 0,
    attendees: [],
    chat: [],
    notice: null,
    ended: null,
    path: null,
  };
}

/** The name was entered: join. */
export function joining(s: ViewerState, name: string): ViewerState {
  return { ...s, phase: "joining", name, ended: null };
}

/** What the agent's Welcome/RightsChanged says, in words. */
export function rightsWords(rights: Rights): string {
  if (hasRights(rights, VIEW | CONTROL)) return "You may view and control the screen.";
  if (hasRights(rights, VIEW)) return "View only: you see the screen; your keyboard and mouse do nothing there.";
  return "You may not see the screen now.";
}

/** The agent told us our rights (first Welcome, then every change). */
export function rightsChanged(s: ViewerState, rights: Rights, first: boolean): ViewerState {
  if (!first && rights === s.rights) return s;
  const notice = first ? s.notice : `Your rights changed. ${rightsWords(rights)}`;
  return { ...s, rights, notice };
}

/** The link opened. */
export function linkOpen(s: ViewerState, path: "direct" | "relay"): ViewerState {
  if (s.phase === "ended") return s;
  const notice = s.phase === "reconnecting" ? "Reconnected." : s.notice;
  return { ...s, phase: "live", path, notice };
}

/** The link dropped; the portal may still hold the session. */
export function linkLost(s: ViewerState, why: string): ViewerState {
  if (s.phase === "ended") return s;
  return { ...s, phase: "reconnecting", notice: `Connection to the customer's computer lost (${why}); waiting for it to come back.` };
}

/** The session is over for this page. */
export function ended(s: ViewerState, reason: string): ViewerState {
  if (s.phase === "ended") return s;
  return { ...s, phase: "ended", ended: sentence(reason), path: null };
}

/** "the host removed you" → "The host removed you." */
export function sentence(text: string): string {
  const t = text.trim();
  if (t === "") return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

export function viewerUpdate(s: ViewerState, msg: PortalMessage): ViewerState {
  switch (msg.type) {
    case "joined":
      return {
        ...s,
        phase: s.phase === "reconnecting" ? "reconnecting" : "waiting",
        session: msg.session,
        you: msg.you,
        customer: msg.customer,
        seatToken: msg.seat_token ?? s.seatToken,
      };
    case "signal":
      if (s.phase === "ended") return s;
      if (msg.payload.kind === "offer" || msg.payload.kind === "relay") {
        return { ...s, phase: s.phase === "live" ? "reconnecting" : "connecting" };
      }
      return s;
    case "roster":
      return { ...s, attendees: msg.attendees };
    case "chat": {
      if (msg.reps_only) return s; // never shown to specialists; the portal should not send it
      const chat = [...s.chat, { from: msg.from, name: msg.name, text: msg.text }];
      return { ...s, chat: chat.slice(-MAX_CHAT_LINES) };
    }
    case "customer_away":
      return { ...s, notice: `The customer's computer is away (${msg.reason}). The session waits for it.` };
    case "customer_back":
      return { ...s, notice: "The customer's computer is back; reconnecting." };
    case "session_ended":
      return ended(s, msg.reason);
    case "error":
      // Before joining, an error means we are not in (wrong or cancelled key); after, it is
      // about something we asked and the session goes on.
      if (s.phase === "joining") return { ...s, phase: "ended", ended: sentence(msg.message) };
      return { ...s, notice: sentence(msg.message) };
    default:
      return s;
  }
}
