// The customer's screen in a page: toolbar, canvas and pointer, the link to the agent and the
// decoding worker. Shared by the specialist's page (viewer_view.ts) and the console's session
// pane, where the representative watches as the session's host. The page owns the portal
// connection and its state; this owns what happens on the link and tells the page.

import { workerPixels } from "./worker_pixels";
import { h, setText } from "../h";
import type { ClientMessage, SignalPayload } from "../wire";
import { encodeInput, type InputEvent } from "./frames";
import { SharedClipboard, type ReceivedClip, type SentClip } from "./clipboard_view";
import { FilesView } from "./files_view";
import { SPECIAL_KEYS } from "./keys";
import { answerOffer, connectRelay, type Link, type LinkHandlers, type LinkPath } from "./link";
import { LinkSession } from "./link_session";
import { ScreenInput } from "./screen_input";

export interface ScreenEvents {
  /** The link is up and the agent welcomed us with these rights. */
  live(path: LinkPath, rights: number): void;
  /** The agent changed our rights. */
  rights(rights: number): void;
  /** The link dropped (the session may go on; the agent offers again). */
  lost(why: string): void;
  /** The agent ended the session for us. */
  ended(reason: string): void;
  /** The agent refused something. */
  refused(text: string): void;
  rebooting(): void;
  /** Input was attempted without control (the page says so). */
  viewOnly(): void;
  /** "Ask for control" was pressed: the customer is asked. */
  asked(): void;
  /** News of the shared clipboard, in words (what and how big, never the content). */
  clipboard(text: string): void;
}

/** What tests and diagnostics may call on `window.tandemViewer`. */
export interface ScreenHooks {
  pixels(x: number, y: number, w: number, h: number): Promise<string | null>;
  forceInput(ev: InputEvent): boolean;
  /** The customer's last clip that arrived whole (null: none yet). */
  lastClipboard(): ReceivedClip | null;
  /** The last clip this page sent to the customer (null: none yet). */
  lastSentClipboard(): SentClip | null;
  /** Sends a text clip past the page's own rights check: the agent must refuse it all the same. */
  forceClipboard(text: string): Promise<boolean>;
}

export class RemoteScreen {
  readonly el: HTMLElement;
  private readonly worker = new Worker("/app/viewer_worker.js", { type: "module" });
  private readonly canvas = h("canvas", { class: "screen", testid: "screen", tabindex: 0, "aria-label": "The customer's screen" });
  private readonly input: ScreenInput;
  private readonly scaleButton: HTMLButtonElement;
  private readonly fullButton: HTMLButtonElement;
  private readonly askButton: HTMLButtonElement;
  private readonly files = new FilesView();
  private readonly clipboard: SharedClipboard;
  private link: Link | null = null;
  /** Bumped by every new offer, relay token and close: a late answer to an old offer is dropped. */
  private generation = 0;
  private session: LinkSession | null = null;
  private control = false;
  private closed = false;
  private startedAt = performance.now();
  private firstFrame = false;

  constructor(
    /** Our attendee id (the Hello names it). */
    private readonly you: () => number | null,
    /** Sends a message on the page's portal connection. */
    private readonly portal: (msg: ClientMessage) => void,
    private readonly events: ScreenEvents,
  ) {
    const cursor = h("canvas", { class: "remote-cursor", "aria-hidden": "true" });
    const box = h("div", { class: "screen-box", testid: "screen-box" }, this.canvas, cursor);
    const keys = h("select", { testid: "special-keys", "aria-label": "Send a special key" },
      h("option", { value: "" }, "Send keys…"),
      ...SPECIAL_KEYS.map((k) => h("option", { value: k.id }, k.label)));
    keys.addEventListener("change", () => {
      const chosen = SPECIAL_KEYS.find((k) => k.id === keys.value);
      keys.value = "";
      if (chosen !== undefined) for (const ev of chosen.events) this.sendInput(ev);
      this.canvas.focus();
    });
    this.scaleButton = h("button", { type: "button", class: "button", testid: "scale-toggle", on: { click: () => this.toggleScale() } }, "Actual size");
    this.fullButton = h("button", { type: "button", class: "button", testid: "full-window", on: { click: () => this.toggleFull() } }, "Full window");
    this.askButton = h("button", { type: "button", class: "button", testid: "ask-control", hidden: true, on: { click: () => {
      this.session?.requestControl();
      this.events.asked();
    } } }, "Ask for control");
    this.clipboard = new SharedClipboard({
      send: (clip) => this.session?.sendClipboard(clip) ?? Promise.resolve(false),
      type: (events) => {
        for (const ev of events) this.sendInput(ev);
        this.canvas.focus();
      },
      say: (text) => this.events.clipboard(text),
    });
    this.el = h("div", { class: "remote-screen" },
      h("div", { class: "screen-tools" }, this.askButton, keys, this.clipboard.tools, this.scaleButton, this.fullButton),
      box,
      this.files.el);
    const offscreen = this.canvas.transferControlToOffscreen();
    this.worker.postMessage({ type: "canvas", canvas: offscreen }, [offscreen]);
    this.input = new ScreenInput(this.canvas, cursor, box, (ev) => this.sendInput(ev), (data) => this.clipboard.pasted(data));
    this.installHooks();
  }

  /** A signal from the agent: an offer to answer, or the relay's token. */
  signal(from: number, payload: SignalPayload): void {
    if (this.closed) return;
    if (payload.kind === "offer") void this.answer(from, payload.sdp);
    else if (payload.kind === "relay") this.relay(payload.token);
  }

  /**
   * Whether "Ask for control" shows: the host's grant includes control, but the customer does
   * not let us control now (they took it away, or allowed viewing only).
   */
  setAskable(askable: boolean): void {
    this.askButton.hidden = !askable;
  }

  /** Whether the files bar shows: live with the FILES right (the agent decides anyway). */
  setFiles(allowed: boolean): void {
    this.files.setAllowed(allowed);
  }

  /** Whether the clipboard is shared: live with the CLIPBOARD right (the agent decides anyway). */
  setClipboard(allowed: boolean): void {
    this.clipboard.setAllowed(allowed && !this.closed);
    this.input.setSharing(allowed && !this.closed);
  }

  /** Whether input goes out: live with the CONTROL right. */
  setControl(control: boolean): void {
    this.control = control;
    this.input.setEnabled(control && this.session !== null);
    this.clipboard.setControl(control);
  }

  /** Says goodbye to the agent (leaving on purpose). */
  leave(reason: string): void {
    this.session?.leave(reason);
  }

  /** The session is over for this page: the link closes, the last picture stays (dimmed). */
  close(): void {
    this.closed = true;
    this.generation += 1;
    this.closeLink();
    this.input.setEnabled(false);
    this.setClipboard(false);
    this.el.classList.add("ended");
    if (this.el.classList.contains("full")) this.toggleFull();
  }

  focus(): void {
    this.canvas.focus();
  }

  /** The page no longer shows this screen: the worker and saved files' memory go too. */
  dispose(): void {
    this.close();
    this.input.dispose();
    this.worker.terminate();
    this.files.dispose();
    this.el.remove();
  }

  private async answer(from: number, sdp: string): Promise<void> {
    // Marks for the first-frame timeline (performance.getEntriesByType("mark")).
    performance.mark("tandem:offer");
    this.closeLink();
    const generation = ++this.generation;
    const owner: { link: Link | null } = { link: null };
    try {
      const { answer, link } = await answerOffer(sdp, this.handlers(owner));
      if (this.closed || generation !== this.generation) {
        // A newer offer or the relay replaced this one while it was being answered.
        link.close();
        return;
      }
      this.link = owner.link = link;
      this.portal({ type: "signal", to: from, payload: { kind: "answer", sdp: answer } });
      performance.mark("tandem:answer-sent");
    } catch (e) {
      if (generation === this.generation) this.events.lost(`could not answer: ${String(e)}`);
    }
  }

  private relay(token: string): void {
    // The agent gave up on a direct path: the relay replaces whatever was being negotiated.
    this.closeLink();
    this.generation += 1;
    const owner: { link: Link | null } = { link: null };
    this.link = owner.link = connectRelay(token, this.handlers(owner));
  }

  /** Handlers for one link; `owner.link` is set once the link exists. */
  private handlers(owner: { link: Link | null }): LinkHandlers {
    let mine: LinkSession | null = null;
    return {
      open: (path) => {
        const link = owner.link;
        const you = this.you();
        if (you === null || link === null || link !== this.link) return;
        this.worker.postMessage({ type: "reset" });
        performance.mark("tandem:link-open");
        mine = new LinkSession(link, you, this.worker, {
          welcome: (rights) => {
            performance.mark("tandem:welcome");
            this.events.live(path, rights);
          },
          rights: (rights) => this.events.rights(rights),
          applied: (w, hgt) => this.applied(w, hgt),
          cursorShape: (shape) => this.input.setCursorShape(shape),
          cursorPosition: (x, y) => this.input.setCursorPosition(x, y),
          refused: (text) => {
            document.body.dataset.refusals = String(Number(document.body.dataset.refusals ?? "0") + 1);
            this.events.refused(text);
          },
          ended: (reason) => {
            this.closeLink();
            this.events.ended(reason);
          },
          rebooting: () => this.events.rebooting(),
          lost: (why) => {
            this.closeLink();
            this.events.lost(why);
          },
          transfers: (list) => this.files.render(list),
          listing: (path, entries) => this.files.showListing(path, entries),
          clipboard: (clip) => void this.clipboard.receive(clip),
          clipboardFailed: (why) => this.events.clipboard(`The customer's clipboard did not arrive: ${why}.`),
        });
        this.session = mine;
        this.files.attach(mine.transfers);
        this.input.setEnabled(this.control);
      },
      message: (channel, data) => mine?.handle(channel, data),
      closed: (why) => {
        mine?.stop();
        if (owner.link === null || owner.link !== this.link) return; // replaced already
        this.session = null;
        this.link = null;
        this.input.setEnabled(false);
        this.events.lost(why);
      },
    };
  }

  private applied(width: number, height: number): void {
    this.input.setScreen(width, height);
    if (!this.firstFrame) {
      this.firstFrame = true;
      performance.mark("tandem:first-frame");
      document.body.dataset.firstFrameMs = String(Math.round(performance.now() - this.startedAt));
    }
    document.body.dataset.frames = String(Number(document.body.dataset.frames ?? "0") + 1);
  }

  /** Restarts the first-frame clock (the person just asked to see the screen). */
  markStart(): void {
    performance.mark("tandem:start");
    this.startedAt = performance.now();
    this.firstFrame = false;
  }

  private closeLink(): void {
    this.session?.stop();
    this.session = null;
    this.files.attach(null);
    const old = this.link;
    this.link = null;
    old?.close();
  }

  private sendInput(ev: InputEvent): void {
    if (this.session === null) return;
    if (!this.control) {
      // The agent would drop it anyway; saying so here is kinder than silence.
      if (ev.type !== "pointer_move") this.events.viewOnly();
      return;
    }
    this.session.sendInput(ev);
  }

  private toggleScale(): void {
    this.input.setActualSize(!this.input.actualSize);
    setText(this.scaleButton, this.input.actualSize ? "Fit to window" : "Actual size");
  }

  private toggleFull(): void {
    const full = this.el.classList.toggle("full");
    setText(this.fullButton, full ? "Leave full window" : "Full window");
    this.canvas.focus();
  }

  private installHooks(): void {
    const hooks: ScreenHooks = {
      pixels: workerPixels(this.worker),
      // Raw input past the page's own rights check: the agent must refuse it all the same.
      forceInput: (ev) => this.link?.send("input", encodeInput(ev)) ?? false,
      lastClipboard: () => this.clipboard.lastReceived(),
      lastSentClipboard: () => this.clipboard.lastSent(),
      forceClipboard: async (text) => {
        try {
          return (await this.session?.sendClipboard({ kind: "text", text })) ?? false;
        } catch {
          return false;
        }
      },
    };
    (window as unknown as { tandemViewer?: ScreenHooks }).tandemViewer = hooks;
  }
}
