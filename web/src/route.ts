// Which page an address shows, and which part of the app handles which message.

import type { ClientType, PortalType } from "./wire";

export type Route =
  | { page: "customer"; portal: string }
  | { page: "console" }
  | { page: "viewer"; key: string; linkToken: string | null }
  | { page: "not_found" };

/** `/p/<name>` → the customer page of portal <name>; `/console` → the console. */
export function routeOf(pathname: string, search = ""): Route {
  const portal = /^\/p\/([^/]+)\/?$/.exec(pathname);
  if (portal !== null && portal[1] !== undefined) {
    try {
      const name = decodeURIComponent(portal[1]);
      if (name !== "") return { page: "customer", portal: name };
    } catch {
      // A malformed escape is no portal's name.
    }
    return { page: "not_found" };
  }
  if (pathname === "/console" || pathname === "/console/") return { page: "console" };
  // The portal serves the app at /join/<digits> only for a specialist's live support key.
  const key = /^\/join\/(\d{9})\/?$/.exec(pathname);
  if (key !== null && key[1] !== undefined) {
    return { page: "viewer", key: key[1], linkToken: linkTokenOf(search) };
  }
  return { page: "not_found" };
}

/** The `t` parameter of a join link, if any. */
function linkTokenOf(search: string): string | null {
  const token = new URLSearchParams(search).get("t");
  return token === null || token === "" ? null : token;
}

/**
 * Who acts on a message: the customer page, the console, a console's session panel, or the
 * browser viewer (a specialist's page).
 */
export type Receiver = "customer" | "console" | "panel" | "viewer";

/**
 * Which parts act on each message the app understands (a panel is the console's session pane
 * on a connection of its own). A Record over every type, so a new message type fails to
 * compile until it is placed here; the unit tests check the update functions agree.
 */
export const RECEIVED_BY: Record<PortalType, readonly Receiver[]> = {
  welcome: [],
  logged_in: ["console"],
  // On the console's own connection (a panel's is no representative's login).
  functions: ["console"],
  management: ["console"],
  report: ["console"],
  recording: ["console"],
  second_factor: ["console"],
  code_created: ["console"],
  codes: ["console"],
  code_cancelled: ["console"],
  code_emailed: ["console"],
  portal: ["customer"],
  request_status: ["customer"],
  queries: ["console"],
  request_taken: ["console"],
  web_chat: ["customer", "console"],
  // On the panel's connection; on the console's when the panel's was gone.
  notes_saved: ["console", "panel"],
  panel_ticket: ["console"],
  panel_waiting: ["panel"],
  joined: ["panel", "viewer"],
  roster: ["panel", "viewer"],
  chat: ["panel", "viewer"],
  consent: ["panel"],
  customer_away: ["panel", "viewer"],
  customer_back: ["panel", "viewer"],
  invitation_answered: ["panel"],
  session_ended: ["panel", "viewer"],
  reps: ["panel"],
  specialist_invited: ["panel"],
  specialist_invitation_cancelled: ["panel"],
  signal: ["viewer"],
  error: ["customer", "console", "panel", "viewer"],
};

/** Which parts send each message. */
export const SENT_BY: Record<ClientType, readonly Receiver[]> = {
  hello: ["customer", "console", "panel", "viewer"],
  login: ["console"],
  create_code: ["console"],
  list_codes: ["console"],
  cancel_code: ["console"],
  email_code: ["console"],
  open_portal: ["customer"],
  request_help: ["customer"],
  withdraw_request: ["customer"],
  web_chat: ["customer", "console"],
  set_accepting: ["console"],
  accept_request: ["console"],
  escalate_request: ["console"],
  close_request: ["console"],
  // On the panel's connection; on the console's when the panel's was gone.
  save_notes: ["panel", "console"],
  panel_ticket: ["console"],
  open_session_panel: ["panel"],
  chat: ["panel", "viewer"],
  list_reps: ["panel"],
  invite_reps: ["panel"],
  invite_specialist: ["panel"],
  cancel_specialist_invitation: ["panel"],
  change_rights: ["panel"],
  remove_attendee: ["panel"],
  // A specialist's page leaving on purpose gives its seat up.
  end_session: ["panel", "viewer"],
  join_as_specialist: ["viewer"],
  // The panel's screen answers offers once the panel watches (watch_session).
  signal: ["viewer", "panel"],
  watch_session: ["panel"],
  manage: ["console"],
};
