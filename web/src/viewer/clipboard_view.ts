// The shared clipboard on the page: the customer's clip put on the representative's clipboard
// as it arrives (or, when the browser says no, from a button click), and the representative's
// clipboard sent to the customer on a paste into the screen or from "Send clipboard". "Type
// clipboard" types the representative's text instead, for places that take no paste (a login
// prompt, a console). Shown only with the CLIPBOARD right; the agent decides anyway.
//
// Notices name what a clip is and its size, never its content: the page's notice line is seen
// by whoever looks at the screen, and a clipboard holds passwords.

import { h, show } from "../h";
import { FORMAT, MAX_CLIP, clipBytes, describeClip, parseClip, type Clip } from "./clipboard_wire";
import { WireError, type InputEvent } from "./frames";
import { pasteSource, typingEvents, type TransferLike } from "./paste";

export interface ClipboardIo {
  /** Puts a clip on the customer's clipboard; false when it did not go out whole. */
  send(clip: Clip): Promise<boolean>;
  /** Types on the customer's computer (the screen checks control). */
  type(events: InputEvent[]): void;
  /** Tells the person something about the clipboard. */
  say(text: string): void;
}

/** A clip as the test hooks report it: what and how big, and the text itself. */
export interface ClipSummary {
  kind: "text" | "png";
  /** Bytes as they travel (text as UTF-8). */
  bytes: number;
  /** The text; null for an image. */
  text: string | null;
}

/** The customer's last clip, and whether it reached the representative's clipboard. */
export interface ReceivedClip extends ClipSummary {
  copied: boolean;
}

/** The representative's last clip, and whether every chunk went out. */
export interface SentClip extends ClipSummary {
  sent: boolean;
}

function summary(clip: Clip): ClipSummary {
  return { kind: clip.kind, bytes: clipBytes(clip).length, text: clip.kind === "text" ? clip.text : null };
}

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Writes a clip to the representative's clipboard; throws when the browser refuses. */
async function writeLocal(clip: Clip): Promise<void> {
  if (clip.kind === "text") {
    await navigator.clipboard.writeText(clip.text);
    return;
  }
  const png = new Blob([clip.bytes as Uint8Array<ArrayBuffer>], { type: "image/png" });
  await navigator.clipboard.write([new ClipboardItem({ "image/png": png })]);
}

/** Reads the representative's clipboard: text first, then a PNG (as pasteSource decides). */
async function readLocal(): Promise<Clip | null> {
  // Browsers without read() (older Firefox) still read text.
  if (typeof navigator.clipboard.read !== "function") {
    const text = await navigator.clipboard.readText();
    return text === "" ? null : { kind: "text", text };
  }
  const items = await navigator.clipboard.read();
  for (const item of items) {
    if (!item.types.includes("text/plain")) continue;
    const text = await (await item.getType("text/plain")).text();
    if (text !== "") return { kind: "text", text };
  }
  for (const item of items) {
    if (!item.types.includes("image/png")) continue;
    return pngClip(await item.getType("image/png"));
  }
  return null;
}

/** An image blob as a clip; WireError when it is too large or no PNG. */
async function pngClip(blob: Blob): Promise<Clip> {
  // Checked before reading: a huge image is refused without holding it.
  if (blob.size > MAX_CLIP) throw new WireError(`the image holds ${blob.size} bytes; at most ${MAX_CLIP} are shared`);
  return parseClip(FORMAT.PNG, new Uint8Array(await blob.arrayBuffer()));
}

export class SharedClipboard {
  /** The buttons, for the screen's toolbar. */
  readonly tools: HTMLElement;
  private readonly typeButton: HTMLButtonElement;
  private readonly copyButton: HTMLButtonElement;
  private allowed = false;
  private control = false;
  /** The customer's clip the browser would not write: a click on copyButton does. */
  private pending: Clip | null = null;
  private received: { clip: Clip; copied: boolean } | null = null;
  private sent: { clip: Clip; sent: boolean } | null = null;

  constructor(private readonly io: ClipboardIo) {
    const sendButton = h("button", { type: "button", class: "button", testid: "send-clipboard", title: "Put what you copied on the customer's clipboard", on: { click: () => void this.sendLocal() } }, "Send clipboard");
    this.typeButton = h("button", { type: "button", class: "button", testid: "type-clipboard", title: "Type the text you copied on the customer's computer", on: { click: () => void this.typeLocal() } }, "Type clipboard");
    this.copyButton = h("button", { type: "button", class: "button", testid: "copy-clipboard", hidden: true, on: { click: () => void this.copyPending() } }, "Copy customer's clipboard");
    this.tools = h("span", { class: "clipboard-tools", testid: "clipboard-tools" }, sendButton, this.typeButton, this.copyButton);
    this.render();
  }

  /** Whether we share the clipboard: live with the CLIPBOARD right. */
  setAllowed(allowed: boolean): void {
    this.allowed = allowed;
    // The right went: a clip not taken yet is not offered any more.
    if (!allowed) this.pending = null;
    this.render();
  }

  /** Whether we control: "Type clipboard" types, so it needs control. */
  setControl(control: boolean): void {
    this.control = control;
    this.render();
  }

  lastReceived(): ReceivedClip | null {
    return this.received === null ? null : { ...summary(this.received.clip), copied: this.received.copied };
  }

  lastSent(): SentClip | null {
    return this.sent === null ? null : { ...summary(this.sent.clip), sent: this.sent.sent };
  }

  /** The customer copied `clip`: onto the representative's clipboard, if the browser lets us. */
  async receive(clip: Clip): Promise<void> {
    if (!this.allowed) return; // the agent sends it only with the right; a stale one is dropped
    const entry = { clip, copied: false };
    this.received = entry;
    // Browsers refuse without focus (another window is in front) or, in Firefox, without a
    // click; the clip then waits for the button, which is a click.
    entry.copied = await writeLocal(clip).then(() => true, () => false);
    if (this.received !== entry) return; // a newer clip came meanwhile
    this.pending = entry.copied ? null : clip;
    const how = entry.copied ? "now on your clipboard too" : "press “Copy customer's clipboard” to take it";
    this.io.say(`Customer's clipboard: ${describeClip(clip)} (${how}).`);
    this.render();
  }

  /**
   * The browser's paste event on the screen. `data` is read before anything is awaited: it
   * empties once the event is over. Resolves once the clip is sent (or not).
   */
  async pasted(data: TransferLike | null): Promise<void> {
    if (!this.allowed) {
      this.io.say("You do not have the clipboard right: what you copied stays on your computer.");
      return;
    }
    const source = pasteSource(data);
    if (source === null) {
      this.io.say("Nothing sent: your clipboard holds no text and no PNG image.");
      return;
    }
    let clip: Clip;
    try {
      clip = source.kind === "text" ? source.clip : await pngClip(source.file);
    } catch (e) {
      this.io.say(`Your clipboard was not sent: ${why(e)}.`);
      return;
    }
    await this.share(clip);
  }

  /** Sends `clip` to the customer's clipboard (the agent checks the right again). */
  async share(clip: Clip): Promise<void> {
    if (!this.allowed) {
      this.io.say("You do not have the clipboard right.");
      return;
    }
    const entry = { clip, sent: false };
    this.sent = entry;
    try {
      entry.sent = await this.io.send(clip);
    } catch (e) {
      this.io.say(`Your clipboard was not sent: ${why(e)}.`);
      return;
    }
    if (this.sent !== entry) return; // a newer clip replaced it; that one reports
    this.io.say(entry.sent
      ? `Your clipboard went to the customer: ${describeClip(clip)}.`
      : "Your clipboard was not sent: the connection to the customer's computer is not sending.");
  }

  private render(): void {
    show(this.tools, this.allowed);
    this.typeButton.disabled = !this.control;
    show(this.copyButton, this.allowed && this.pending !== null);
  }

  private async sendLocal(): Promise<void> {
    let clip: Clip | null;
    try {
      clip = await readLocal();
    } catch (e) {
      this.io.say(`Could not read your clipboard (${why(e)}). Click the screen and press Ctrl+V instead.`);
      return;
    }
    if (clip === null) {
      this.io.say("Nothing sent: your clipboard holds no text and no PNG image.");
      return;
    }
    await this.share(clip);
  }

  private async typeLocal(): Promise<void> {
    if (!this.allowed || !this.control) return;
    let text: string;
    try {
      text = await navigator.clipboard.readText();
    } catch (e) {
      this.io.say(`Could not read your clipboard (${why(e)}).`);
      return;
    }
    if (text === "") {
      this.io.say("Your clipboard holds no text to type.");
      return;
    }
    let events: InputEvent[];
    try {
      events = typingEvents(text);
    } catch (e) {
      this.io.say(`Not typed: ${why(e)}. Send it with “Send clipboard” and paste it there instead.`);
      return;
    }
    this.io.type(events);
    this.io.say(`Typing ${Array.from(text).length} characters on the customer's computer.`);
  }

  private async copyPending(): Promise<void> {
    const clip = this.pending;
    if (clip === null) return;
    try {
      await writeLocal(clip);
    } catch (e) {
      this.io.say(`Could not copy the customer's clipboard: ${why(e)}.`);
      return;
    }
    if (this.received?.clip === clip) this.received.copied = true;
    if (this.pending === clip) this.pending = null;
    this.io.say(`Customer's clipboard: ${describeClip(clip)} (now on your clipboard too).`);
    this.render();
  }
}
