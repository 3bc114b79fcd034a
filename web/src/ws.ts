// The app's one WebSocket to the portal, same origin, at /ws. Says hello first, then whatever
// the page sends (queued until the socket is open). Messages are JSON text tagged by `type`.
// The portal closes a connection that has not identified itself (open_portal or login)
// within 15 s, so each page sends its identifying message right after connecting.

import { parsePortalMessage } from "./parse";
import { HELLO, type ClientMessage, type PortalMessage } from "./wire";

/** The sentence shown when the connection is gone. */
export const CONNECTION_LOST = "Connection to the portal lost. Reload the page to try again.";

/** ws:// or wss:// to /ws on the page's own host. */
export function portalSocketUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}/ws`;
}

export interface ConnectionHandlers {
  /** A well-formed message from the portal. */
  message(msg: PortalMessage): void;
  /** The socket closed (or could not open); no more messages will come. */
  closed(): void;
}

export class Connection {
  private readonly socket: WebSocket;
  private readonly pending: string[] = [];
  private open = false;
  private done = false;

  constructor(private readonly handlers: ConnectionHandlers) {
    this.socket = new WebSocket(portalSocketUrl(location));
    this.pending.push(JSON.stringify(HELLO));
    this.socket.addEventListener("open", () => {
      this.open = true;
      for (const text of this.pending.splice(0)) this.socket.send(text);
    });
    this.socket.addEventListener("message", (event: MessageEvent<unknown>) => {
      if (typeof event.data !== "string") return;
      const msg = parsePortalMessage(event.data);
      if (msg !== null) this.handlers.message(msg);
    });
    this.socket.addEventListener("close", () => this.finish());
    this.socket.addEventListener("error", () => this.finish());
  }

  /** Whether the socket is gone. */
  get closed(): boolean {
    return this.done;
  }

  /** Sends a message (queued until the socket is open; dropped once it is closed). */
  send(msg: ClientMessage): void {
    if (this.done) return;
    const text = JSON.stringify(msg);
    if (this.open) this.socket.send(text);
    else this.pending.push(text);
  }

  /** Closes the socket without reporting it as lost (leaving the page). */
  close(): void {
    this.done = true;
    this.socket.close();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.handlers.closed();
  }
}
