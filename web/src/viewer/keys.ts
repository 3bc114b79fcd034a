// Keyboard mapping for the browser viewer: DOM key events → the X11 keysyms the customer's
// agent types (protocol/src/input.rs). Pure, no DOM: the page passes plain key-event shapes
// in and sends what comes out, so everything here runs under node --test.
//
// Like the native viewer (viewer/src/window/keys.rs) we go by the *logical* key: it follows
// the representative's layout and Shift, but browsers leave Ctrl out of it, so Ctrl+C arrives
// as Control_L down, c down, c up, Control_L up.

import type { InputEvent } from "./frames";

export type { InputEvent } from "./frames";

/** The part of a DOM KeyboardEvent the tracker reads (a KeyboardEvent fits it). */
export interface KeyEventLike {
  type: "keydown" | "keyup";
  key: string;
  code: string;
  /** DOM key location: 0 standard, 1 left, 2 right, 3 numpad. */
  location: number;
  repeat: boolean;
  isComposing?: boolean;
}

/** What one key event sends, and whether the page should cancel the browser's own action. */
export interface KeyResult {
  events: InputEvent[];
  preventDefault: boolean;
}

/**
 * The X11 keysym of one character: Latin-1 printables map to themselves, anything else to
 * 0x01000000 + code point (protocol's keysym_for_char). Reads the first code point (so
 * astral characters work); the empty string gives 0 (NoSymbol).
 */
export function keysymForChar(c: string): number {
  const code = c.codePointAt(0);
  if (code === undefined) return 0;
  const latin1 = (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff);
  return latin1 ? code : 0x0100_0000 + code;
}

// Named keys by KeyboardEvent.key. A Map, not an object, so that no key string can hit
// Object.prototype ("constructor" is no key, but the lookup stays honest).
const NAMED = new Map<string, number>([
  ["Enter", 0xff0d],
  ["Backspace", 0xff08],
  ["Tab", 0xff09],
  ["Escape", 0xff1b],
  ["Delete", 0xffff],
  ["Insert", 0xff63],
  ["Home", 0xff50],
  ["End", 0xff57],
  ["PageUp", 0xff55],
  ["PageDown", 0xff56],
  ["ArrowLeft", 0xff51],
  ["ArrowUp", 0xff52],
  ["ArrowRight", 0xff53],
  ["ArrowDown", 0xff54],
  ["Pause", 0xff13],
  ["ScrollLock", 0xff14],
  ["PrintScreen", 0xff61],
  ["ContextMenu", 0xff67],
  ["NumLock", 0xff7f],
  ["CapsLock", 0xffe5],
  ["Clear", 0xff0b], // keypad 5 without NumLock on some systems
  ["Help", 0xff6a],
  ["AltGraph", 0xfe03], // ISO_Level3_Shift, whichever side reports it
]);

// Modifiers with a left keysym; the right one is the next keysym. The browser calls the
// Windows/Command key "Meta" (older Firefox: "OS"); on an X desktop that key is Super_L, not
// X's Meta_L, so all three go to Super (which is what the customer's desktop expects).
const SIDED = new Map<string, number>([
  ["Shift", 0xffe1],
  ["Control", 0xffe3],
  ["Alt", 0xffe9],
  ["Meta", 0xffeb],
  ["OS", 0xffeb],
  ["Super", 0xffeb],
  ["Hyper", 0xffed],
]);

const DOM_KEY_LOCATION_RIGHT = 2;

/**
 * The keysym for a KeyboardEvent `key` at `location`, or null when it is no single key we
 * forward: dead keys, "Unidentified", "Process", unknown named keys (media, browser keys) and
 * strings of several characters.
 */
export function keysymForKey(key: string, location: number): number | null {
  const named = NAMED.get(key);
  if (named !== undefined) return named;
  const sided = SIDED.get(key);
  if (sided !== undefined) return location === DOM_KEY_LOCATION_RIGHT ? sided + 1 : sided;
  const f = /^F([1-9]|[12][0-9]|3[0-5])$/.exec(key);
  if (f?.[1] !== undefined) return 0xffbe + Number(f[1]) - 1;
  const chars = Array.from(key); // code points, so "𝔸" is one character
  if (chars.length === 1 && !hasControl(key)) return keysymForChar(key);
  return null;
}

/**
 * Text typed by a key whose `key` is several characters (some layouts type ligatures or
 * conjuncts with one key), or null. Named key values ("AudioVolumeUp", "BrowserBack", "F36")
 * are ASCII words starting with a capital: those are keys we do not forward, never text to
 * type on the customer's machine.
 */
function keyText(key: string): string | null {
  if (Array.from(key).length < 2 || /^[A-Z][A-Za-z0-9]+$/.test(key) || hasControl(key)) {
    return null;
  }
  return key;
}

function hasControl(s: string): boolean {
  return /[\u0000-\u001f\u007f-\u009f]/.test(s);
}

const keyEvent = (keysym: number, down: boolean): InputEvent => ({ type: "key", keysym, down });

/**
 * Turns the representative's key events into the customer's key events, remembering what is
 * held so that nothing sticks.
 *
 * - A press is remembered by physical key (`code`), and its release sends the keysym of the
 *   press, even if `key` changed meanwhile (Shift released before the letter). A release of a
 *   key we never pressed sends nothing.
 * - Auto-repeat is not forwarded: one down per press, like the native viewer. The customer's
 *   X server repeats a held key itself, and forwarding repeats as well would double the rate
 *   and keep typing after a lost release. Repeats are still cancelled locally (no scrolling).
 * - A fresh (non-repeat) press of a key we think is held means we missed its release (focus
 *   went elsewhere): the old keysym is released first, then the new one pressed.
 * - Dead keys, "Unidentified", "Process" and key events during IME composition send nothing
 *   and are not cancelled, so the browser's composition goes on; the composed character comes
 *   with a later keydown or through {@link KeyTracker.compositionText}.
 */
export class KeyTracker {
  /** Held keys in press order: physical key id and the keysym sent for it. */
  private held: Array<{ id: string; keysym: number }> = [];
  /** The character the latest keydown pressed as a key, to drop a compositionend echo. */
  private lastChar: string | null = null;

  /** The events for one keydown or keyup. */
  handle(e: KeyEventLike): KeyResult {
    // Some virtual keyboards report no code; the key then has to stand in for it.
    const id = e.code !== "" ? e.code : `key:${e.key}`;
    const index = this.held.findIndex((h) => h.id === id);
    if (e.type === "keyup") {
      const released = index >= 0 ? this.held.splice(index, 1)[0] : undefined;
      if (released === undefined) return { events: [], preventDefault: false };
      return { events: [keyEvent(released.keysym, false)], preventDefault: true };
    }
    this.lastChar = null;
    if (e.isComposing === true || e.key === "Process") {
      return { events: [], preventDefault: false };
    }
    const keysym = keysymForKey(e.key, e.location);
    const text = keysym === null ? keyText(e.key) : null;
    if (e.repeat) {
      return { events: [], preventDefault: index >= 0 || keysym !== null || text !== null };
    }
    const events: InputEvent[] = [];
    const missed = index >= 0 ? this.held.splice(index, 1)[0] : undefined;
    if (missed !== undefined) events.push(keyEvent(missed.keysym, false));
    if (keysym !== null) {
      this.held.push({ id, keysym });
      events.push(keyEvent(keysym, true));
      if (Array.from(e.key).length === 1) this.lastChar = e.key;
    } else if (text !== null) {
      events.push({ type: "text", text });
    }
    return { events, preventDefault: events.length > 0 };
  }

  /**
   * Text an IME (or a dead-key composition) committed: call on compositionend. One Text
   * event, or null for empty text and for exactly the character the previous keydown already
   * sent as a key (browsers that report the committing keydown normally and still end a
   * composition), so the customer does not get it twice.
   */
  compositionText(text: string): InputEvent | null {
    const echo = text === this.lastChar;
    this.lastChar = null;
    return text === "" || echo ? null : { type: "text", text };
  }

  /** Releases of everything held, last pressed first (for window blur or leaving). */
  releaseAll(): InputEvent[] {
    const ups = this.held.reverse().map((h) => keyEvent(h.keysym, false));
    this.held = [];
    this.lastChar = null;
    return ups;
  }
}

/** A key sequence the browser or the local OS keeps for itself, sent from a menu instead. */
export interface SpecialKey {
  id: string;
  label: string;
  events: InputEvent[];
}

/** Presses `keysyms` in order, then releases them in reverse. */
function chord(...keysyms: number[]): InputEvent[] {
  const downs = keysyms.map((k) => keyEvent(k, true));
  const ups = [...keysyms].reverse().map((k) => keyEvent(k, false));
  return [...downs, ...ups];
}

const CONTROL_L = 0xffe3;
const ALT_L = 0xffe9;
const SUPER_L = 0xffeb;

/** The special keys menu, in menu order. */
export const SPECIAL_KEYS: ReadonlyArray<SpecialKey> = [
  { id: "ctrl_alt_del", label: "Ctrl+Alt+Del", events: chord(CONTROL_L, ALT_L, 0xffff) },
  { id: "super", label: "Super (Windows key)", events: chord(SUPER_L) },
  { id: "alt_tab", label: "Alt+Tab", events: chord(ALT_L, 0xff09) },
  { id: "alt_f4", label: "Alt+F4", events: chord(ALT_L, 0xffc1) },
  { id: "ctrl_esc", label: "Ctrl+Esc", events: chord(CONTROL_L, 0xff1b) },
  { id: "print_screen", label: "Print Screen", events: chord(0xff61) },
  { id: "ctrl_w", label: "Ctrl+W", events: chord(CONTROL_L, 0x77) },
  { id: "ctrl_t", label: "Ctrl+T", events: chord(CONTROL_L, 0x74) },
  { id: "ctrl_n", label: "Ctrl+N", events: chord(CONTROL_L, 0x6e) },
  { id: "f11", label: "F11", events: chord(0xffc8) },
];
