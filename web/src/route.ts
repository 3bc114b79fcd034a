// Which page an address shows, and which page handles which message from the portal.

import type { ClientType, PortalType } from "./wire";

export type Route =
  | { page: "customer"; portal: string }
  | { page: "console" }
  | { page: "not_found" };

/** `/p/<name>` → the customer page of portal <name>; `/console` → the console. */
export function routeOf(pathname: string): Route {
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
  return { page: "not_found" };
}

/**
 * Which page acts on each message the app understands ("both": the customer page and the
 * console). A Record over every type, so a new message type fails to compile until it is
 * placed here; the unit tests check the update functions agree.
 */
export const RECEIVED_BY: Record<PortalType, "customer" | "console" | "both" | "neither"> = {
  welcome: "neither",
  logged_in: "console",
  code_created: "console",
  codes: "console",
  code_cancelled: "console",
  code_emailed: "console",
  portal: "customer",
  request_status: "customer",
  queries: "console",
  request_taken: "console",
  web_chat: "both",
  notes_saved: "neither",
  error: "both",
};

/** Which page sends each message ("later": typed and checked, but no page sends it yet). */
export const SENT_BY: Record<ClientType, "customer" | "console" | "both" | "later"> = {
  hello: "both",
  login: "console",
  create_code: "console",
  list_codes: "console",
  cancel_code: "console",
  email_code: "console",
  open_portal: "customer",
  request_help: "customer",
  withdraw_request: "customer",
  web_chat: "both",
  set_accepting: "console",
  accept_request: "console",
  escalate_request: "console",
  close_request: "console",
  // Notes for a session the console joined; the console does not join sessions yet.
  save_notes: "later",
};
