// Session recordings without the DOM: the file (parsed from byte arrays built by hand, and
// from the golden frame vectors replayed through the worker's own pure path), the player, and
// the console's state for asking for a recording and replaying it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { closeReports, connectionLost, consoleUpdate, initialConsole, openReports, type ConsoleState } from "../src/console";
import { parsePortalMessage } from "../src/parse";
import {
  advance,
  atEnd,
  chatLine,
  dueRecords,
  initialPlayer,
  KIND,
  MAGIC,
  parseRecording,
  pause,
  play,
  playLabel,
  recordingAddress,
  restart,
  speedLabel,
  speedOf,
  SPEEDS,
  timeText,
  watchLabel,
  withSpeed,
  type Recording,
  type ReplayRecord,
} from "../src/recording";
import { closeReplay, recordingAsked, recordingRequest } from "../src/replay";
import { RECEIVED_BY } from "../src/route";
import { decodeMessage } from "../src/viewer/frames";
import { Raster } from "../src/viewer/raster";
import { UpdateStream, isUpdateError } from "../src/viewer/updates";
import type { PortalMessage } from "../src/wire";
import { goldens, readCase } from "./vector_files";

const text = new TextEncoder();

/** One record: ms u32 LE, kind u8, len u32 LE (`len` as given, or the payload's), payload. */
function record(ms: number, kind: number, payload: Uint8Array | string, len?: number): Uint8Array {
  const body = typeof payload === "string" ? text.encode(payload) : payload;
  const out = new Uint8Array(9 + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, ms, true);
  v.setUint8(4, kind);
  v.setUint32(5, len ?? body.length, true);
  out.set(body, 9);
  return out;
}

function file(...parts: Uint8Array[]): Uint8Array {
  const all = [text.encode(MAGIC), ...parts];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function parsed(bytes: Uint8Array): Recording {
  const r = parseRecording(bytes);
  if (typeof r === "string") throw new Error(r);
  return r;
}

const chat = (from: string, line: string, repsOnly = false): string => JSON.stringify({ from, text: line, reps_only: repsOnly });

const GOLDEN = goldens();
const golden = (name: string): Uint8Array => {
  const bytes = GOLDEN.get(name);
  if (bytes === undefined) throw new Error(`no golden ${name}`);
  return bytes;
};

test("a good file: every record in order, chat lines beside, the duration its last time", () => {
  const shape = golden("cursor_shape");
  const pos = golden("cursor_position");
  const frame = readCase("scroll.bin").records[0]!.bytes;
  const r = parsed(file(
    record(0, KIND.CONTROL, shape),
    record(0, KIND.FRAMES, frame),
    record(40, KIND.INPUT, pos),
    record(1500, KIND.CHAT, chat("Bob Smith", "Can you see <b>this</b>?")),
    record(2000, KIND.CHAT, chat("Alice", "Driver 4.2 is broken.", true)),
    record(190_000, KIND.FRAMES, frame),
  ));
  assert.equal(r.truncated, false);
  assert.equal(r.skipped, 0);
  assert.equal(r.duration_ms, 190_000);
  assert.deepEqual(r.records.map((x) => [x.ms, x.kind]), [
    [0, "control"], [0, "frames"], [40, "input"], [1500, "chat"], [2000, "chat"], [190_000, "frames"],
  ]);
  assert.deepEqual(r.chat, [
    { ms: 1500, from: "Bob Smith", text: "Can you see <b>this</b>?", repsOnly: false },
    { ms: 2000, from: "Alice", text: "Driver 4.2 is broken.", repsOnly: true },
  ]);
  const first = r.records[0]!;
  assert.ok(first.kind === "control");
  assert.deepEqual(decodeMessage(first.data).kind, "cursor_shape", "a message exactly as a live viewer gets it");
  const input = r.records[2]!;
  assert.ok(input.kind === "input");
  assert.deepEqual(decodeMessage(input.data), { kind: "cursor_position", x: 199, y: 135 });
});

test("an empty recording (the magic alone) has no records and lasts nothing", () => {
  assert.deepEqual(parsed(file()), { records: [], chat: [], duration_ms: 0, truncated: false, skipped: 0 });
});

test("bad magic is an error, never a recording", () => {
  for (const bytes of [
    new Uint8Array(0),
    text.encode("TNDM"),
    text.encode("TNDMREC2"),
    text.encode("tndmrec1"),
    new Uint8Array([0x54, 0x4e, 0x44, 0x4d, 0x52, 0x45, 0x43, 0x31 + 1, ...record(0, 0, "x")]),
    text.encode("<!DOCTYPE html><html>Not found</html>"),
  ]) {
    assert.equal(typeof parseRecording(bytes), "string", JSON.stringify([...bytes.subarray(0, 12)]));
  }
});

test("a file that ends mid-record keeps every whole record before it, and says so", () => {
  const whole = [record(0, KIND.CHAT, chat("Bob", "one")), record(10, KIND.CHAT, chat("Bob", "two"))];
  const next = record(20, KIND.CHAT, chat("Bob", "three"));
  // Cut inside the next record's header, and inside its payload.
  for (const cut of [1, 4, 8, 9, 12, next.length - 1]) {
    const r = parsed(file(...whole, next.subarray(0, cut)));
    assert.equal(r.truncated, true, `cut after ${cut} bytes`);
    assert.deepEqual(r.chat.map((c) => c.text), ["one", "two"]);
    assert.equal(r.duration_ms, 10, "the cut record's time does not count");
  }
  assert.equal(parsed(file(...whole, next)).truncated, false);
});

test("a length larger than what is left is a cut file, and sizes nothing", () => {
  for (const len of [2, 1000, 0x7fff_ffff, 0xffff_ffff]) {
    const r = parsed(file(record(5, KIND.CHAT, chat("Bob", "kept")), record(9, KIND.FRAMES, new Uint8Array([1]), len)));
    assert.equal(r.truncated, true, `len ${len}`);
    assert.equal(r.records.length, 1);
    assert.equal(r.duration_ms, 5);
  }
});

test("kinds of a newer portal are skipped; so are chat lines that are not chat JSON", () => {
  const r = parsed(file(
    record(0, 3, "something new"),
    record(10, 18, new Uint8Array(100)),
    record(20, 255, ""),
    record(30, KIND.CHAT, "not json"),
    record(40, KIND.CHAT, JSON.stringify({ from: "Bob", text: 7, reps_only: false })),
    record(50, KIND.CHAT, JSON.stringify({ from: "Bob", text: "no flag" })),
    record(60, KIND.CHAT, new Uint8Array([0x7b, 0xff, 0x7d])),
    record(70, KIND.CHAT, chat("Carol Customer", "Thanks!")),
  ));
  assert.equal(r.skipped, 7);
  assert.equal(r.truncated, false);
  assert.deepEqual(r.records.map((x) => x.ms), [70]);
  assert.equal(r.duration_ms, 70, "skipped records still move time on");
  assert.equal(chatLine(0, text.encode(chat("A", "b", true)))?.repsOnly, true);
  assert.equal(chatLine(0, text.encode("null")), null);
});

test("a new upload's mark is kept, to start the picture afresh", () => {
  const r = parsed(file(record(0, KIND.LINK, ""), record(5, KIND.FRAMES, new Uint8Array([1])), record(9, KIND.LINK, "")));
  assert.deepEqual(r.records.map((x) => x.kind), ["link", "frames", "link"]);
  assert.equal(r.skipped, 0);
});

test("a payload is a view into the file, and times never go back", () => {
  const bytes = file(record(100, KIND.FRAMES, new Uint8Array([1, 2, 3])), record(50, KIND.FRAMES, new Uint8Array([4])));
  const r = parsed(bytes);
  assert.deepEqual(r.records.map((x) => x.ms), [100, 100]);
  const first = r.records[0]!;
  assert.ok(first.kind === "frames");
  assert.equal(first.data.buffer, bytes.buffer, "no copy");
  assert.deepEqual([...first.data], [1, 2, 3]);
  // A file inside a larger buffer (a view with an offset) parses the same.
  const padded = new Uint8Array(bytes.length + 7);
  padded.set(bytes, 7);
  assert.deepEqual(parsed(padded.subarray(7)).records.map((x) => x.ms), [100, 100]);
});

test("replayed frames build the same picture as the live viewer's (golden vectors)", () => {
  for (const name of ["scroll.bin", "resize.bin", "noise.bin"]) {
    const c = readCase(name);
    const r = parsed(file(...c.records.map((rec, i) => record(i * 33, KIND.FRAMES, rec.bytes))));
    // Played at 8× in 30 ms steps, as the view does: every frame handed on once, in order.
    let p = play(initialPlayer(r.duration_ms));
    p = withSpeed(p, 8);
    const handed: ReplayRecord[] = [];
    for (let step = 0; p.playing && step < 100_000; step++) {
      const [next, due] = advance(p, r.records, step === 0 ? 0 : 30);
      handed.push(...due);
      p = next;
    }
    assert.equal(handed.length, c.records.length, name);
    const stream = new UpdateStream();
    const raster = new Raster();
    for (const rec of handed) {
      assert.ok(rec.kind === "frames");
      const msg = decodeMessage(rec.data.slice());
      assert.ok(msg.kind === "frame_update");
      const result = stream.push(msg.update, rec.data.length);
      if (result === null) continue;
      assert.ok(!isUpdateError(result), name);
      if (!isUpdateError(result)) raster.apply(result, new Map());
    }
    assert.equal(raster.width, c.width, name);
    assert.equal(raster.height, c.height, name);
    const first = raster.pixels.findIndex((b, i) => b !== (i % 4 === 3 ? 255 : c.bgrx[i - (i % 4) + (2 - (i % 4))]));
    assert.equal(first, -1, `${name}: first differing byte ${first}`);
  }
});

// ----- the player -----

/** Records at these times (frames). */
function at(...times: number[]): ReplayRecord[] {
  return times.map((ms) => ({ ms, kind: "frames" as const, data: new Uint8Array(0) }));
}

test("the player starts paused at 0, at 1×; speeds are 1, 2, 4 and 8", () => {
  assert.deepEqual(initialPlayer(190_000), { position: 0, speed: 1, playing: false, next: 0, duration: 190_000 });
  assert.deepEqual(SPEEDS, [1, 2, 4, 8]);
  assert.deepEqual(SPEEDS.map(speedLabel), ["1×", "2×", "4×", "8×"]);
  assert.equal(speedOf("4"), 4);
  for (const bad of ["", "3", "16", "1x", " 2"]) assert.equal(speedOf(bad), null, bad);
});

test("records are due once their time is reached, each once", () => {
  const records = at(0, 0, 100, 250, 250, 1000);
  assert.deepEqual(dueRecords(records, 0, 0), { due: records.slice(0, 2), next: 2 });
  assert.deepEqual(dueRecords(records, 2, 99), { due: [], next: 2 });
  assert.deepEqual(dueRecords(records, 2, 250), { due: records.slice(2, 5), next: 5 });
  assert.deepEqual(dueRecords(records, 5, 5000), { due: records.slice(5), next: 6 });
  assert.deepEqual(dueRecords(records, 6, 9999), { due: [], next: 6 });
});

test("playing moves on by elapsed time × speed, and stops at the end", () => {
  const records = at(0, 100, 250, 1000);
  let p = initialPlayer(1000);
  assert.deepEqual(advance(p, records, 500), [p, []], "paused: nothing moves");
  p = play(p);
  let due: ReplayRecord[];
  [p, due] = advance(p, records, 0);
  assert.deepEqual([p.position, due.length, p.next], [0, 1, 1], "the first records at once");
  [p, due] = advance(p, records, 100);
  assert.deepEqual([p.position, due.map((r) => r.ms)], [100, [100]]);
  p = withSpeed(p, 4);
  [p, due] = advance(p, records, 50);
  assert.deepEqual([p.position, due.map((r) => r.ms)], [300, [250]]);
  assert.equal(playLabel(p, records), "Pause");
  [p, due] = advance(p, records, -20);
  assert.equal(p.position, 300, "a clock going back moves nothing");
  [p, due] = advance(p, records, 10_000);
  assert.deepEqual([p.position, due.map((r) => r.ms), p.playing], [1000, [1000], false]);
  assert.ok(atEnd(p, records));
  assert.equal(playLabel(p, records), "Play again");
  p = restart(p);
  assert.deepEqual([p.position, p.next, p.playing, p.speed], [0, 0, true, 4], "again, at the same speed");
  p = pause(p);
  assert.equal(playLabel(p, records), "Play");
});

test("an empty recording ends at once", () => {
  const [p, due] = advance(play(initialPlayer(0)), [], 0);
  assert.deepEqual(due, []);
  assert.equal(p.playing, false);
  assert.ok(atEnd(p, []));
});

test("the time reads position / duration; the watch button says how long and how big", () => {
  assert.equal(timeText(42_000, 190_000), "0:42 / 3:10");
  assert.equal(timeText(0, 0), "0:00 / 0:00");
  assert.equal(timeText(999, 3_725_000), "0:00 / 1:02:05");
  assert.equal(watchLabel({ bytes: 1_468_006, duration_ms: 190_400 }), "Watch recording (3:10, 1.4 MB)");
  assert.equal(watchLabel({ bytes: 812, duration_ms: 5_000 }), "Watch recording (0:05, 812 bytes)");
});

test("only a path of the page's own origin is fetched", () => {
  const origin = "https://help.example.com:8470";
  assert.equal(recordingAddress("/recordings/3f9a0c", origin), "https://help.example.com:8470/recordings/3f9a0c");
  for (const bad of ["https://evil.example/recordings/1", "//evil.example/x", "/\\evil.example", "recordings/1", "javascript:alert(1)", ""]) {
    assert.equal(recordingAddress(bad, origin), null, bad);
  }
});

// ----- the console's state -----

const REPORT = {
  type: "report" as const,
  sessions: [],
  truncated: false,
  csv: "",
};

function reporting(): ConsoleState {
  const s = { ...initialConsole(), name: "Bob", reportsAllowed: true };
  return consoleUpdate(openReports(s), REPORT, 0)[0];
}

test("the recording request and its answer are the portal's JSON shapes", () => {
  assert.deepEqual(recordingRequest(12), { type: "manage", op: "recording", session: 12 });
  const answer = parsePortalMessage('{"type":"recording","session":12,"url":"/recordings/3f9a"}');
  assert.deepEqual(answer, { type: "recording", session: 12, url: "/recordings/3f9a" });
  assert.equal(parsePortalMessage('{"type":"recording","session":12}'), null);
  assert.equal(parsePortalMessage('{"type":"recording","session":"12","url":"/r"}'), null);
  assert.deepEqual(RECEIVED_BY.recording, ["console"]);
});

test("a session's recording in a report: absent, null or its size and length", () => {
  const session = {
    id: 12, rep: "bob", rep_name: "Bob Smith", customer: "Carol", portal: "default",
    started_at: 1796000000, ended_at: 1796000190, end_reason: null, outcome: null, notes: null, events: [],
  };
  for (const recording of [undefined, null, { bytes: 1468006, duration_ms: 190000 }]) {
    const msg = parsePortalMessage(JSON.stringify({ type: "report", sessions: [{ ...session, recording }], truncated: false, csv: "" }));
    assert.ok(msg?.type === "report", JSON.stringify(recording));
    assert.deepEqual(msg.sessions[0]?.recording, recording);
  }
  for (const bad of ["3", { bytes: 1 }, { bytes: "1", duration_ms: 2 }]) {
    const text = JSON.stringify({ type: "report", sessions: [{ ...session, recording: bad }], truncated: false, csv: "" });
    assert.equal(parsePortalMessage(text), null, text);
  }
});

test("asking for a recording, its answer opens the replay; closing goes back to the report", () => {
  let s = recordingAsked(reporting(), 12);
  assert.equal(s.recordingPending, 12);
  const answer: PortalMessage = { type: "recording", session: 12, url: "/recordings/3f9a" };
  s = consoleUpdate(s, answer, 0)[0];
  assert.equal(s.recordingPending, null);
  assert.deepEqual(s.replay, { session: 12, url: "/recordings/3f9a" });
  assert.ok(s.report !== null, "the report stays beneath");
  s = closeReplay(s);
  assert.equal(s.replay, null);
  assert.equal(s.reporting, true);
  s = consoleUpdate(s, answer, 0)[0];
  assert.ok(closeReports(s).replay === null, "the page closing closes the replay");
  assert.equal(openReports({ ...s, reporting: false }).replay, null);
});

test("an answer after the reports page closed opens nothing", () => {
  const s = closeReports(recordingAsked(reporting(), 12));
  const next = consoleUpdate(s, { type: "recording", session: 12, url: "/recordings/3f9a" }, 0)[0];
  assert.equal(next.replay, null);
  assert.equal(next.recordingPending, null);
  assert.equal(recordingAsked(initialConsole(), 12).recordingPending, null, "only from the reports page");
});

test("a refused recording request is the reports page's error", () => {
  const s = recordingAsked(reporting(), 12);
  const next = consoleUpdate(s, { type: "error", kind: "session_gone", message: "That session has no recording." }, 0)[0];
  assert.equal(next.recordingPending, null);
  assert.equal(next.reportError, "That session has no recording.");
  assert.equal(next.replay, null);
  assert.equal(connectionLost(s).recordingPending, null, "no answer comes on a lost connection");
});
