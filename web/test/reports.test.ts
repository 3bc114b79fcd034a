// Session reports without the DOM: the filter form becomes a request (UTC days, the last one
// inclusive), and sessions and events become words.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  actionWords,
  CSV_FILE,
  DAY_SECS,
  dayOf,
  dayStart,
  defaultForm,
  eventActor,
  eventsCount,
  formRequest,
  lastDays,
  localDateTime,
  localTime,
  OUTCOMES,
  outcomeWords,
  reportFilter,
  reportRequest,
  reportSummary,
  sessionDuration,
  spokenDuration,
  type ReportForm,
} from "../src/reports";

const EMPTY: ReportForm = { from: "", to: "", rep: "", portal: "", team: "", outcome: "" };

test("a day is its UTC midnight in Unix seconds", () => {
  assert.equal(dayStart("1970-01-01"), 0);
  assert.equal(dayStart("2026-11-30"), Date.UTC(2026, 10, 30) / 1000);
  assert.equal(dayStart(" 2026-11-30 "), 1795996800);
  assert.equal(dayStart("2024-02-29"), Date.UTC(2024, 1, 29) / 1000, "a leap day");
  for (const bad of ["", "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "30.11.2026", "2026-1-5", "soon"]) {
    assert.equal(dayStart(bad), null, bad);
  }
  assert.equal(dayOf(Date.UTC(2026, 10, 30, 23, 59, 59) / 1000), "2026-11-30");
  assert.equal(dayOf(0), "1970-01-01");
});

test("the page opens on the last seven days, today (UTC) included", () => {
  const now = Date.UTC(2026, 10, 30, 22, 15);
  assert.deepEqual(lastDays(now), { from: "2026-11-24", to: "2026-11-30" });
  assert.deepEqual(lastDays(Date.UTC(2026, 2, 2, 0, 0, 1), 3), { from: "2026-02-28", to: "2026-03-02" });
  assert.deepEqual(defaultForm(now), { ...EMPTY, from: "2026-11-24", to: "2026-11-30" });
  // The default filter covers now: the last day runs to the next UTC midnight.
  const filter = reportFilter(defaultForm(now));
  assert.ok(typeof filter !== "string");
  assert.equal(filter.from, Date.UTC(2026, 10, 24) / 1000);
  assert.equal(filter.to, Date.UTC(2026, 11, 1) / 1000);
  assert.ok((filter.to ?? 0) > now / 1000 && (filter.from ?? Infinity) <= now / 1000);
  assert.equal(((filter.to ?? 0) - (filter.from ?? 0)) / DAY_SECS, 7);
});

test("the filter: empty fields are left out, the last day is inclusive", () => {
  assert.deepEqual(reportFilter(EMPTY), {});
  assert.deepEqual(reportRequest({}), { type: "manage", op: "report" });
  assert.deepEqual(
    reportFilter({ from: "2026-11-01", to: "2026-11-30", rep: " bob ", portal: " acme ", team: "3", outcome: "unresolved" }),
    {
      from: Date.UTC(2026, 10, 1) / 1000,
      to: Date.UTC(2026, 11, 1) / 1000,
      team: 3,
      rep: "bob",
      portal: "acme",
      outcome: "unresolved",
    },
  );
  // One day: from its midnight to the next.
  assert.deepEqual(reportFilter({ ...EMPTY, from: "2026-11-30", to: "2026-11-30" }), {
    from: Date.UTC(2026, 10, 30) / 1000,
    to: Date.UTC(2026, 11, 1) / 1000,
  });
  assert.deepEqual(reportFilter({ ...EMPTY, to: "2026-12-31" }), { to: Date.UTC(2027, 0, 1) / 1000 }, "across the year");
  assert.deepEqual(reportFilter({ ...EMPTY, outcome: "none" }), { outcome: "none" });
  assert.deepEqual(reportFilter({ ...EMPTY, outcome: "maybe", team: "x", rep: "   " }), {}, "nothing the form cannot mean");
  assert.equal(reportFilter({ ...EMPTY, from: "2026-12-01", to: "2026-11-30" }), "The first day is after the last.");
  assert.equal(reportFilter({ ...EMPTY, from: "2026-02-30" }), "The first day is not a date.");
  assert.equal(reportFilter({ ...EMPTY, to: "yesterday" }), "The last day is not a date.");
});

test("the request the form sends", () => {
  assert.deepEqual(formRequest({ ...EMPTY, from: "2026-11-30", rep: "bob", outcome: "resolved" }), {
    type: "manage",
    op: "report",
    from: Date.UTC(2026, 10, 30) / 1000,
    rep: "bob",
    outcome: "resolved",
  });
  assert.deepEqual(JSON.parse(JSON.stringify(formRequest(EMPTY))), { type: "manage", op: "report" });
  assert.equal(formRequest({ ...EMPTY, from: "2026-11-30", to: "2026-11-01" }), "The first day is after the last.");
  assert.deepEqual(OUTCOMES.map(([value]) => value), ["", "resolved", "unresolved", "none"]);
});

test("durations in words; a session without an end is running", () => {
  assert.equal(spokenDuration(0), "0 s");
  assert.equal(spokenDuration(55), "55 s");
  assert.equal(spokenDuration(60), "1 min");
  assert.equal(spokenDuration(595), "9 min 55 s");
  assert.equal(spokenDuration(3600), "1 h");
  assert.equal(spokenDuration(3900 + 7), "1 h 5 min");
  assert.equal(spokenDuration(26 * 3600), "26 h");
  assert.equal(spokenDuration(-5), "0 s");
  assert.equal(spokenDuration(59.9), "59 s");
  assert.equal(sessionDuration({ started_at: 1796000000, ended_at: 1796000595 }), "9 min 55 s");
  assert.equal(sessionDuration({ started_at: 1796000000, ended_at: null }), "running");
  assert.equal(sessionDuration({ started_at: 1796000000, ended_at: 1795999000 }), "0 s", "a clock that went back");
});

test("times in the representative's own time zone", () => {
  const at = 1796000000;
  const d = new Date(at * 1000);
  const p = (n: number): string => String(n).padStart(2, "0");
  assert.equal(localDateTime(at), `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`);
  assert.equal(localTime(at), `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`);
  assert.match(localDateTime(0), /^19(69|70)-\d\d-\d\d \d\d:\d\d$/);
});

test("events and outcomes in words", () => {
  assert.deepEqual(
    ["attendee.join", "attendee.leave", "rights.change", "file.transfer", "folder.listing", "reboot", "session.start", "session.end"].map(actionWords),
    ["joined", "left", "rights changed", "file", "folder looked at", "reboot", "started", "ended"],
  );
  assert.equal(actionWords("invite.accept"), "invite.accept", "others as they are");
  assert.equal(actionWords("constructor"), "constructor", "not the object's own properties");
  assert.equal(actionWords("toString"), "toString");
  assert.equal(eventActor({ at: 0, actor: "Bob Smith", action: "reboot", detail: "" }), "Bob Smith");
  assert.equal(eventActor({ at: 0, actor: "-", action: "session.end", detail: "" }), null);
  assert.equal(eventActor({ at: 0, actor: " ", action: "session.end", detail: "" }), null);
  assert.equal(outcomeWords("resolved"), "Resolved");
  assert.equal(outcomeWords("unresolved"), "Unresolved");
  assert.equal(outcomeWords(null), "not recorded");
  assert.equal(outcomeWords("escalated"), "escalated");
  assert.equal(eventsCount(1), "1 event");
  assert.equal(eventsCount(0), "0 events");
  assert.equal(eventsCount(12), "12 events");
});

test("what the page says about the results", () => {
  assert.equal(reportSummary(0, false), "No sessions match.");
  assert.equal(reportSummary(0, true), "No sessions match.");
  assert.equal(reportSummary(1, false), "1 session matches.");
  assert.equal(reportSummary(12, false), "12 sessions match.");
  assert.equal(reportSummary(500, true), "Showing the first 500 sessions.");
  assert.equal(CSV_FILE, "tandem-sessions.csv");
});
