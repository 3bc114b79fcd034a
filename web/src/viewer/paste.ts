// Pasting into the customer's screen, without the DOM: which keys are the paste shortcut, what
// a paste event holds, typing text in pieces the agent takes, and the gate that holds input
// back until the representative's clip has gone out.
//
// Why a gate: the representative presses Ctrl+V on the screen and expects *their* clipboard to
// be pasted on the customer's side. The browser only hands the page its clipboard in the
// `paste` event, which comes from the V keydown's default action (Chromium: right after the
// keydown listeners; Firefox: at keypress), and a clip may take a moment to read (an image) and
// to queue. So the V press is not forwarded at once: input is held from that keydown until the
// clip is on the input channel (or, if no paste event comes, for at most PASTE_WAIT_MS), then
// sent in the order it happened. Clip and keys share the ordered input channel, so the agent
// puts the clip on the customer's clipboard before it types the V.

import { WireError } from "./frames";
import type { Clip } from "./clipboard_wire";
import type { InputEvent } from "./keys";

/** How long input waits for the browser's paste event after the paste shortcut went down. */
export const PASTE_WAIT_MS = 200;
/** Longest text one input message may type (protocol/src/agent_input.rs MAX_TEXT_CHARS). */
export const MAX_TEXT_CHARS = 256;
/**
 * Most characters "Type clipboard" types: the agent types a few dozen characters a second, so
 * more would keep typing long after the representative looked away (or lost control). Longer
 * text is refused whole, never typed in part: half a command in a terminal is worse than none.
 */
export const MAX_TYPED_CHARS = 2000;

/** The part of a KeyboardEvent the shortcut check reads (a KeyboardEvent fits it). */
export interface ShortcutLike {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/**
 * Whether a keydown is the paste shortcut: Ctrl+V (Cmd+V on a Mac; Ctrl+Shift+V, the
 * terminals' paste, too) or Shift+Insert. Alt is left out: AltGr reports Ctrl+Alt on Windows,
 * and AltGr+V types a character. The V goes by `key` (it follows the layout, as the browser's
 * own shortcut does), by the physical key only when the layout's key is no Latin letter.
 */
export function isPasteShortcut(e: ShortcutLike): boolean {
  if (e.key === "Insert") return e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey;
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return false;
  if (/^[a-zA-Z]$/.test(e.key)) return e.key === "v" || e.key === "V";
  return e.code === "KeyV";
}

/**
 * `text` in pieces of at most `max` characters (Unicode code points, as the agent counts
 * them), so no piece is refused; a surrogate pair is never split. Empty text has no piece.
 */
export function textPieces(text: string, max = MAX_TEXT_CHARS): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += max) out.push(chars.slice(i, i + max).join(""));
  return out;
}

/** The text events that type `text`, or a WireError that says why it is not typed. */
export function typingEvents(text: string): InputEvent[] {
  const count = Array.from(text).length;
  if (count > MAX_TYPED_CHARS) {
    throw new WireError(`the clipboard holds ${count} characters; at most ${MAX_TYPED_CHARS} are typed`);
  }
  return textPieces(text).map((piece) => ({ type: "text", text: piece }));
}

/** The part of a DataTransfer (a paste event's `clipboardData`) read here. */
export interface TransferLike {
  getData(format: string): string;
  readonly items: ArrayLike<{ readonly kind: string; readonly type: string; getAsFile(): Blob | null }>;
}

/** What a paste holds: text at once, an image still to be read. */
export type PasteSource = { kind: "text"; clip: Clip } | { kind: "png"; file: Blob };

/**
 * What to share of a paste, read at once (a DataTransfer is emptied once its event is over).
 * Text wins over an image: spreadsheets and office programs put a picture of the cells next
 * to their text, and the text is what the customer's program expects. Null when it holds
 * neither (files, or nothing).
 */
export function pasteSource(data: TransferLike | null): PasteSource | null {
  if (data === null) return null;
  const text = data.getData("text/plain");
  if (text !== "") return { kind: "text", clip: { kind: "text", text } };
  for (let i = 0; i < data.items.length; i++) {
    const item = data.items[i];
    if (item?.kind !== "file" || item.type !== "image/png") continue;
    const file = item.getAsFile();
    if (file !== null) return { kind: "png", file };
  }
  return null;
}

/** Starts a timer; returns what cancels it (setTimeout in the page, a fake in the tests). */
export type Schedule = (fn: () => void, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

/**
 * Holds input back while a paste goes out (see the top of this file). Every input event goes
 * through `push`: sent at once, or queued while the gate holds, and sent in order on release.
 */
export class PasteGate {
  private queue: InputEvent[] | null = null;
  private cancel: (() => void) | null = null;

  constructor(
    private readonly send: (ev: InputEvent) => void,
    private readonly schedule: Schedule = realSchedule,
  ) {}

  get holding(): boolean {
    return this.queue !== null;
  }

  /**
   * The paste shortcut went down: hold input until `release`, or for `waitMs` if no paste
   * event comes. Already holding (a second Ctrl+V at once), it holds on as it is.
   */
  hold(waitMs = PASTE_WAIT_MS): void {
    if (this.queue !== null) return;
    this.queue = [];
    this.cancel = this.schedule(() => this.release(), waitMs);
  }

  /** The paste event came: from now on the clip's sending decides when input goes on. */
  pasted(): void {
    this.cancel?.();
    this.cancel = null;
  }

  /** One input event: out now, or after the paste. */
  push(ev: InputEvent): void {
    if (this.queue !== null) this.queue.push(ev);
    else this.send(ev);
  }

  /** The clip is out (or none comes): what waited goes, in order. */
  release(): void {
    this.cancel?.();
    this.cancel = null;
    const queued = this.queue ?? [];
    this.queue = null;
    for (const ev of queued) this.send(ev);
  }

  /** Control is gone: what waited is forgotten, never sent (the agent released our keys). */
  drop(): void {
    this.cancel?.();
    this.cancel = null;
    this.queue = null;
  }
}
