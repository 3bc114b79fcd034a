import assert from "node:assert/strict";
import { test } from "node:test";

import {
  KeyTracker,
  keysymForChar,
  keysymForKey,
  SPECIAL_KEYS,
  type InputEvent,
  type KeyEventLike,
} from "../src/viewer/keys";
import { buttonOf, fitRect, toScreen, WheelAccumulator } from "../src/viewer/scale";

const k = (keysym: number, down: boolean): InputEvent => ({ type: "key", keysym, down });

type Opts = Partial<Pick<KeyEventLike, "location" | "repeat" | "isComposing">>;

function down(t: KeyTracker, key: string, code: string, o: Opts = {}) {
  return t.handle({ type: "keydown", key, code, location: 0, repeat: false, ...o });
}

function up(t: KeyTracker, key: string, code: string, o: Opts = {}) {
  return t.handle({ type: "keyup", key, code, location: 0, repeat: false, ...o });
}

test("keysyms of characters follow the protocol's rule", () => {
  assert.equal(keysymForChar("a"), 0x61);
  assert.equal(keysymForChar(" "), 0x20);
  assert.equal(keysymForChar("~"), 0x7e);
  assert.equal(keysymForChar("\u00a0"), 0xa0);
  assert.equal(keysymForChar("é"), 0xe9);
  assert.equal(keysymForChar("ÿ"), 0xff);
  assert.equal(keysymForChar("€"), 0x10020ac);
  assert.equal(keysymForChar("\u007f"), 0x100007f);
  assert.equal(keysymForChar("𝔸"), 0x0100_0000 + 0x1d538);
  assert.equal(keysymForChar(""), 0);
});

test("named keys and modifier sides", () => {
  assert.equal(keysymForKey("Enter", 3), 0xff0d);
  assert.equal(keysymForKey("Backspace", 0), 0xff08);
  assert.equal(keysymForKey("ArrowDown", 0), 0xff54);
  assert.equal(keysymForKey("PageUp", 0), 0xff55);
  assert.equal(keysymForKey("F1", 0), 0xffbe);
  assert.equal(keysymForKey("F12", 0), 0xffc9);
  assert.equal(keysymForKey("F24", 0), 0xffd5);
  assert.equal(keysymForKey("F36", 0), null);
  assert.equal(keysymForKey("Control", 1), 0xffe3);
  assert.equal(keysymForKey("Control", 2), 0xffe4);
  assert.equal(keysymForKey("Shift", 2), 0xffe2);
  assert.equal(keysymForKey("Alt", 1), 0xffe9);
  assert.equal(keysymForKey("Meta", 1), 0xffeb);
  assert.equal(keysymForKey("OS", 2), 0xffec);
  assert.equal(keysymForKey("AltGraph", 2), 0xfe03);
  assert.equal(keysymForKey(" ", 0), 0x20);
  assert.equal(keysymForKey("5", 3), 0x35);
  for (const key of ["Dead", "Unidentified", "Process", "AudioVolumeUp", "ñe", ""]) {
    assert.equal(keysymForKey(key, 0), null, key);
  }
});

test("Ctrl+C is Control_L down, c down, c up, Control_L up; repeats are not sent", () => {
  const t = new KeyTracker();
  const all = [
    down(t, "Control", "ControlLeft", { location: 1 }),
    down(t, "c", "KeyC"),
    down(t, "c", "KeyC", { repeat: true }),
    up(t, "c", "KeyC"),
    up(t, "Control", "ControlLeft", { location: 1 }),
  ];
  assert.deepEqual(
    all.flatMap((r) => r.events),
    [k(0xffe3, true), k(0x63, true), k(0x63, false), k(0xffe3, false)],
  );
  assert.ok(all.every((r) => r.preventDefault));
});

test("a release sends the keysym of its press, even after Shift went up first", () => {
  const t = new KeyTracker();
  assert.deepEqual(down(t, "Shift", "ShiftLeft", { location: 1 }).events, [k(0xffe1, true)]);
  assert.deepEqual(down(t, "A", "KeyA").events, [k(0x41, true)]);
  assert.deepEqual(up(t, "Shift", "ShiftLeft", { location: 1 }).events, [k(0xffe1, false)]);
  assert.deepEqual(up(t, "a", "KeyA").events, [k(0x41, false)]);
});

test("a release of a key never pressed sends nothing", () => {
  const t = new KeyTracker();
  assert.deepEqual(up(t, "a", "KeyA"), { events: [], preventDefault: false });
});

test("a second press without release releases the first", () => {
  const t = new KeyTracker();
  down(t, "a", "KeyA");
  assert.deepEqual(down(t, "A", "KeyA").events, [k(0x61, false), k(0x41, true)]);
  assert.deepEqual(up(t, "A", "KeyA").events, [k(0x41, false)]);
});

test("a dead key sends nothing and the composed character comes as its keysym", () => {
  const t = new KeyTracker();
  assert.deepEqual(down(t, "Dead", "BracketLeft"), { events: [], preventDefault: false });
  assert.deepEqual(up(t, "Dead", "BracketLeft").events, []);
  assert.deepEqual(down(t, "é", "KeyE").events, [k(0xe9, true)]);
  // A browser that still ends a composition with the same character is not typed twice.
  assert.equal(t.compositionText("é"), null);
  assert.deepEqual(up(t, "e", "KeyE").events, [k(0xe9, false)]);
});

test("IME: composing keys are left to the browser and the result is text", () => {
  const t = new KeyTracker();
  assert.deepEqual(down(t, "a", "KeyA").events, [k(0x61, true)]);
  up(t, "a", "KeyA");
  assert.deepEqual(down(t, "Process", "KeyN"), { events: [], preventDefault: false });
  assert.deepEqual(down(t, "i", "KeyI", { isComposing: true }).events, []);
  assert.deepEqual(up(t, "i", "KeyI").events, []);
  assert.deepEqual(t.compositionText("你"), { type: "text", text: "你" });
  assert.equal(t.compositionText(""), null);
  // Not the character of the key before the composition: that one was a different press.
  down(t, "Process", "KeyA");
  assert.deepEqual(t.compositionText("a"), { type: "text", text: "a" });
});

test("euro, right Control and F12", () => {
  const t = new KeyTracker();
  assert.deepEqual(down(t, "€", "KeyE").events, [k(0x10020ac, true)]);
  assert.deepEqual(down(t, "Control", "ControlRight", { location: 2 }).events, [
    k(0xffe4, true),
  ]);
  const f12 = down(t, "F12", "F12");
  assert.deepEqual(f12, { events: [k(0xffc9, true)], preventDefault: true });
});

test("several characters from one key are text; unknown named keys send nothing", () => {
  const t = new KeyTracker();
  assert.deepEqual(down(t, "ñe", "Quote"), {
    events: [{ type: "text", text: "ñe" }],
    preventDefault: true,
  });
  assert.deepEqual(up(t, "ñe", "Quote").events, []);
  assert.deepEqual(down(t, "क्ष", "KeyX").events, [{ type: "text", text: "क्ष" }]);
  assert.deepEqual(down(t, "AudioVolumeUp", "AudioVolumeUp"), {
    events: [],
    preventDefault: false,
  });
  assert.deepEqual(down(t, "Unidentified", "").events, []);
});

test("releaseAll releases everything held, last pressed first, once", () => {
  const t = new KeyTracker();
  down(t, "Control", "ControlLeft", { location: 1 });
  down(t, "Shift", "ShiftLeft", { location: 1 });
  down(t, "X", "KeyX");
  down(t, "1", "", { location: 3 }); // no code: remembered by key
  up(t, "Shift", "ShiftLeft");
  assert.deepEqual(t.releaseAll(), [k(0x31, false), k(0x58, false), k(0xffe3, false)]);
  assert.deepEqual(t.releaseAll(), []);
  assert.deepEqual(up(t, "x", "KeyX").events, []);
});

test("special keys press in order and release in reverse", () => {
  const ids = SPECIAL_KEYS.map((s) => s.id);
  for (const id of ["ctrl_alt_del", "super", "alt_tab", "alt_f4", "ctrl_esc", "print_screen"]) {
    assert.ok(ids.includes(id), id);
  }
  assert.equal(new Set(ids).size, ids.length);
  const cad = SPECIAL_KEYS.find((s) => s.id === "ctrl_alt_del");
  assert.deepEqual(cad?.events, [
    k(0xffe3, true),
    k(0xffe9, true),
    k(0xffff, true),
    k(0xffff, false),
    k(0xffe9, false),
    k(0xffe3, false),
  ]);
  const sup = SPECIAL_KEYS.find((s) => s.id === "super");
  assert.deepEqual(sup?.events, [k(0xffeb, true), k(0xffeb, false)]);
  const f4 = SPECIAL_KEYS.find((s) => s.id === "alt_f4");
  assert.deepEqual(f4?.events.slice(0, 2), [k(0xffe9, true), k(0xffc1, true)]);
  for (const s of SPECIAL_KEYS) {
    const downs = s.events.filter((e) => e.type === "key" && e.down);
    const ups = s.events.filter((e) => e.type === "key" && !e.down);
    assert.equal(downs.length, ups.length, s.id);
    assert.deepEqual(
      ups.map((e) => (e.type === "key" ? e.keysym : 0)),
      downs.map((e) => (e.type === "key" ? e.keysym : 0)).reverse(),
      s.id,
    );
  }
});

test("fitRect letterboxes, pillarboxes, scales up and handles empty sizes", () => {
  assert.deepEqual(fitRect(1920, 1080, 1000, 1000), {
    scale: 1000 / 1920,
    width: 1000,
    height: 562,
    left: 0,
    top: 219,
  });
  assert.deepEqual(fitRect(1080, 1920, 1000, 1000), {
    scale: 1000 / 1920,
    width: 562,
    height: 1000,
    left: 219,
    top: 0,
  });
  assert.deepEqual(fitRect(1920, 1080, 1280, 720), {
    scale: 2 / 3,
    width: 1280,
    height: 720,
    left: 0,
    top: 0,
  });
  assert.deepEqual(fitRect(800, 600, 1600, 1300), {
    scale: 2,
    width: 1600,
    height: 1200,
    left: 0,
    top: 50,
  });
  assert.deepEqual(fitRect(1920, 1080, 1000.7, 1000.2), fitRect(1920, 1080, 1000, 1000));
  assert.equal(fitRect(10_000, 1, 100, 100).height, 1);
  const empty = { scale: 0, width: 0, height: 0, left: 0, top: 0 };
  assert.deepEqual(fitRect(0, 1080, 100, 100), empty);
  assert.deepEqual(fitRect(1920, 1080, 100, 0), empty);
  assert.deepEqual(fitRect(1920, 1080, -5, 100), empty);
  assert.deepEqual(fitRect(Number.NaN, 1080, 100, 100), empty);
});

test("toScreen at 1:1 and scaled, clamped at the edges", () => {
  const one = { left: 10, top: 20, width: 1920, height: 1080 };
  assert.deepEqual(toScreen(10, 20, one, 1920, 1080), { x: 0, y: 0 });
  assert.deepEqual(toScreen(15.7, 20.2, one, 1920, 1080), { x: 5, y: 0 });
  assert.deepEqual(toScreen(1929.99, 1099.99, one, 1920, 1080), { x: 1919, y: 1079 });
  assert.deepEqual(toScreen(1930, 1100, one, 1920, 1080), { x: 1919, y: 1079 });
  assert.deepEqual(toScreen(0, 0, one, 1920, 1080), { x: 0, y: 0 });
  assert.deepEqual(toScreen(99_999, -5, one, 1920, 1080), { x: 1919, y: 0 });
  // 1920x1080 shown at 1000x562.5 from y 219.
  const half = { left: 0, top: 219, width: 1000, height: 562.5 };
  assert.deepEqual(toScreen(500, 219 + 281.25, half, 1920, 1080), { x: 960, y: 540 });
  assert.deepEqual(toScreen(999.9, 781.4, half, 1920, 1080), { x: 1919, y: 1079 });
  assert.deepEqual(toScreen(0.5, 219.5, half, 1920, 1080), { x: 0, y: 0 });
  // Scaled up: each screen pixel is 2x2 on the page.
  const big = { left: 0, top: 0, width: 1600, height: 1200 };
  assert.deepEqual(toScreen(3.9, 5.9, big, 800, 600), { x: 1, y: 2 });
  // Empty sizes and NaN map to 0.
  assert.deepEqual(toScreen(5, 5, { left: 0, top: 0, width: 0, height: 0 }, 800, 600), {
    x: 0,
    y: 0,
  });
  assert.deepEqual(toScreen(Number.NaN, 5, big, 800, 600), { x: 0, y: 2 });
  assert.deepEqual(toScreen(5, 5, big, 0, 600), { x: 0, y: 2 });
  const huge = toScreen(1e9, 1e9, { left: 0, top: 0, width: 10, height: 10 }, 70_000, 70_000);
  assert.deepEqual(huge, { x: 65535, y: 65535 });
});

test("wheel: one click is one notch in every browser's units", () => {
  const w = new WheelAccumulator();
  assert.deepEqual(w.push(0, 100, 0), { dx: 0, dy: 1 });
  assert.deepEqual(w.push(0, -100, 0), { dx: 0, dy: -1 });
  assert.deepEqual(w.push(0, 120, 0), { dx: 0, dy: 1 });
  assert.deepEqual(w.push(0, 53, 0), { dx: 0, dy: 1 });
  assert.deepEqual(w.push(0, 225, 0), { dx: 0, dy: 2 });
  assert.deepEqual(w.push(0, 3, 1), { dx: 0, dy: 1 });
  assert.deepEqual(w.push(0, -1, 1), { dx: 0, dy: -1 });
  assert.deepEqual(w.push(0, 6, 1), { dx: 0, dy: 2 });
  assert.deepEqual(w.push(0, 1, 2), { dx: 0, dy: 10 });
  assert.deepEqual(w.push(100, 0, 0), { dx: 1, dy: 0 });
  assert.equal(w.push(0, 0, 0), null);
  assert.equal(w.push(Number.NaN, 0, 0), null);
});

test("wheel: touchpad steps add up and keep the rest", () => {
  const w = new WheelAccumulator();
  const step = (deltaY: number, deltaMode = 0) => w.push(0, deltaY, deltaMode);
  assert.equal(step(30), null);
  assert.equal(step(30), null);
  assert.equal(step(30), null);
  assert.deepEqual(step(30), { dx: 0, dy: 1 }); // 120 px: one notch, 20 px kept
  assert.equal(step(30), null); // 50 px
  assert.equal(step(30), null); // 80 px
  assert.deepEqual(step(20), { dx: 0, dy: 1 });
  // 3 x (100/3) px is one notch despite float sums.
  for (let i = 0; i < 2; i++) assert.equal(step(100 / 3), null);
  assert.deepEqual(step(100 / 3), { dx: 0, dy: 1 });
  // Reversing drops what was left the other way.
  assert.equal(step(30), null);
  assert.equal(step(-30), null);
  assert.equal(step(-30), null);
  assert.equal(step(-30), null);
  assert.deepEqual(step(-10), { dx: 0, dy: -1 });
  // Smooth line deltas (Firefox on Windows touchpads) add up as well.
  for (let i = 0; i < 4; i++) assert.equal(step(0.65, 1), null);
  assert.deepEqual(step(0.65, 1), { dx: 0, dy: 1 }); // 3.25 lines
  w.reset();
  assert.equal(step(30), null);
});

test("wheel: notches are clamped to i16", () => {
  const w = new WheelAccumulator();
  assert.deepEqual(w.push(-1e9, 1e9, 0), {
    dx: -32768,
    dy: 32767,
  });
  assert.deepEqual(w.push(0, 5000, 2), { dx: 0, dy: 32767 });
});

test("DOM buttons to X11 buttons", () => {
  assert.equal(buttonOf(0), 1);
  assert.equal(buttonOf(1), 2);
  assert.equal(buttonOf(2), 3);
  assert.equal(buttonOf(3), 8);
  assert.equal(buttonOf(4), 9);
  assert.equal(buttonOf(5), null);
  assert.equal(buttonOf(-1), null);
});
