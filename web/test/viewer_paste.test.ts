// Pasting into the customer's screen (paste.ts): the shortcut, what a paste holds, typing in
// pieces the agent takes, and the gate that sends the clip before the V.
import assert from "node:assert/strict";
import { test } from "node:test";

import type { InputEvent } from "../src/viewer/frames";
import {
  MAX_TEXT_CHARS,
  MAX_TYPED_CHARS,
  PASTE_WAIT_MS,
  PasteGate,
  isPasteShortcut,
  pasteSource,
  textPieces,
  typingEvents,
  type Schedule,
  type ShortcutLike,
  type TransferLike,
} from "../src/viewer/paste";

const key = (k: string, mods: Partial<ShortcutLike> = {}, code = ""): ShortcutLike => ({
  key: k,
  code,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

test("the paste shortcut: Ctrl+V, Cmd+V, Ctrl+Shift+V and Shift+Insert", () => {
  assert.equal(isPasteShortcut(key("v", { ctrlKey: true }, "KeyV")), true);
  assert.equal(isPasteShortcut(key("V", { ctrlKey: true, shiftKey: true }, "KeyV")), true, "terminals paste so");
  assert.equal(isPasteShortcut(key("v", { metaKey: true }, "KeyV")), true);
  assert.equal(isPasteShortcut(key("Insert", { shiftKey: true }, "Insert")), true);
  assert.equal(isPasteShortcut(key("v", {}, "KeyV")), false, "a plain v types");
  assert.equal(isPasteShortcut(key("v", { ctrlKey: true, altKey: true }, "KeyV")), false, "AltGr is Ctrl+Alt on Windows");
  assert.equal(isPasteShortcut(key("Insert", {}, "Insert")), false);
  assert.equal(isPasteShortcut(key("Insert", { ctrlKey: true, shiftKey: true }, "Insert")), false);
  assert.equal(isPasteShortcut(key("c", { ctrlKey: true }, "KeyC")), false);
  // Layouts: the key's letter decides; the physical key only for a non-Latin letter.
  assert.equal(isPasteShortcut(key("v", { ctrlKey: true }, "Period")), true, "Dvorak's v");
  assert.equal(isPasteShortcut(key("k", { ctrlKey: true }, "KeyV")), false, "Dvorak's k, where QWERTY has v");
  assert.equal(isPasteShortcut(key("м", { ctrlKey: true }, "KeyV")), true, "a Russian layout");
  assert.equal(isPasteShortcut(key("Control", { ctrlKey: true }, "ControlLeft")), false);
});

test("text goes in pieces the agent takes, never splitting a character", () => {
  assert.deepEqual(textPieces(""), []);
  assert.deepEqual(textPieces("hello"), ["hello"]);
  const long = "a".repeat(MAX_TEXT_CHARS * 2 + 1);
  assert.deepEqual(textPieces(long).map((p) => p.length), [MAX_TEXT_CHARS, MAX_TEXT_CHARS, 1]);
  assert.equal(textPieces(long).join(""), long);
  // 𝔸 is two UTF-16 units, one character for the agent.
  const astral = "𝔸".repeat(MAX_TEXT_CHARS + 1);
  const pieces = textPieces(astral);
  assert.deepEqual(pieces.map((p) => Array.from(p).length), [MAX_TEXT_CHARS, 1]);
  assert.equal(pieces.join(""), astral);
  assert.deepEqual(textPieces("abcde", 2), ["ab", "cd", "e"]);
});

test("typing refuses long text whole", () => {
  assert.deepEqual(typingEvents("ls -l\n"), [{ type: "text", text: "ls -l\n" }]);
  assert.equal(typingEvents("x".repeat(MAX_TYPED_CHARS)).length, Math.ceil(MAX_TYPED_CHARS / MAX_TEXT_CHARS));
  assert.throws(() => typingEvents("x".repeat(MAX_TYPED_CHARS + 1)), /at most/);
  assert.deepEqual(typingEvents(""), []);
});

/** A DataTransfer as a paste event holds it. */
function transfer(data: Record<string, string>, files: Array<{ type: string; blob: Blob | null }> = []): TransferLike {
  return {
    getData: (format) => data[format] ?? "",
    items: files.map((f) => ({ kind: "file", type: f.type, getAsFile: () => f.blob })),
  };
}

test("a paste shares its text, else its PNG image", () => {
  const png = new Blob([new Uint8Array([0x89, 0x50])], { type: "image/png" });
  assert.deepEqual(pasteSource(transfer({ "text/plain": "hi" })), { kind: "text", clip: { kind: "text", text: "hi" } });
  assert.deepEqual(pasteSource(transfer({ "text/plain": "cells" }, [{ type: "image/png", blob: png }])),
    { kind: "text", clip: { kind: "text", text: "cells" } }, "a spreadsheet's picture of the cells loses");
  assert.deepEqual(pasteSource(transfer({}, [{ type: "image/jpeg", blob: png }, { type: "image/png", blob: png }])), { kind: "png", file: png });
  assert.equal(pasteSource(transfer({ "text/html": "<b>x</b>" })), null);
  assert.equal(pasteSource(transfer({}, [{ type: "image/png", blob: null }])), null);
  assert.equal(pasteSource(transfer({}, [{ type: "application/pdf", blob: png }])), null);
  assert.equal(pasteSource(null), null);
});

/** A timer the test fires by hand. */
function fakeTimer(): { schedule: Schedule; fire(): void; armed(): number | null } {
  let pending: { fn: () => void; ms: number } | null = null;
  return {
    schedule: (fn, ms) => {
      const me = { fn, ms };
      pending = me;
      return () => {
        if (pending === me) pending = null;
      };
    },
    fire: () => {
      const p = pending;
      pending = null;
      p?.fn();
    },
    armed: () => pending?.ms ?? null,
  };
}

const down = (keysym: number): InputEvent => ({ type: "key", keysym, down: true });
const up = (keysym: number): InputEvent => ({ type: "key", keysym, down: false });
const CTRL = 0xffe3;
const V = 0x76;

test("the gate holds the V until the clip is out, then sends in order", () => {
  const sent: InputEvent[] = [];
  const timer = fakeTimer();
  const gate = new PasteGate((ev) => sent.push(ev), timer.schedule);
  gate.push(down(CTRL));
  gate.hold();
  assert.equal(timer.armed(), PASTE_WAIT_MS);
  gate.push(down(V));
  gate.pasted(); // the paste event came: the deadline no longer applies
  assert.equal(timer.armed(), null);
  gate.push(up(V));
  gate.push({ type: "pointer_move", x: 1, y: 2 });
  assert.deepEqual(sent, [down(CTRL)], "only what came before the V");
  sent.push({ type: "text", text: "(the clip)" }); // the clip goes out here
  gate.release();
  gate.push(up(CTRL));
  assert.deepEqual(sent, [down(CTRL), { type: "text", text: "(the clip)" }, down(V), up(V), { type: "pointer_move", x: 1, y: 2 }, up(CTRL)]);
  assert.equal(gate.holding, false);
});

test("without a paste event the gate lets go after the deadline", () => {
  const sent: InputEvent[] = [];
  const timer = fakeTimer();
  const gate = new PasteGate((ev) => sent.push(ev), timer.schedule);
  gate.hold(50);
  assert.equal(timer.armed(), 50);
  gate.push(down(V));
  assert.deepEqual(sent, []);
  timer.fire();
  assert.deepEqual(sent, [down(V)]);
  // A late release (the paste came after all) sends nothing twice.
  gate.release();
  assert.deepEqual(sent, [down(V)]);
});

test("a second hold while holding keeps the first; dropping forgets what waited", () => {
  const sent: InputEvent[] = [];
  const timer = fakeTimer();
  const gate = new PasteGate((ev) => sent.push(ev), timer.schedule);
  gate.hold();
  gate.push(down(V));
  gate.hold();
  gate.push(up(V));
  gate.release();
  assert.deepEqual(sent, [down(V), up(V)]);
  gate.hold();
  gate.push(down(V));
  gate.drop();
  assert.equal(timer.armed(), null, "the deadline is cancelled");
  assert.equal(gate.holding, false);
  gate.push(up(V));
  assert.deepEqual(sent, [down(V), up(V), up(V)], "the dropped press never went");
});
