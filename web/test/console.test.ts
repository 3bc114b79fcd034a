import assert from "node:assert/strict";
import { test } from "node:test";

import {
  closeSent,
  codeCountdown,
  codeSent,
  consoleUpdate,
  dismissPane,
  escalateSent,
  initialConsole,
  loginSent,
  newQueries,
  offerText,
  queryNotification,
  waitingText,
  type ConsoleState,
  type Effect,
} from "../src/console";
import type { CodeInfo, PortalMessage, Query } from "../src/wire";

function query(request: number, extra: Partial<Query> = {}): Query {
  return {
    request,
    portal: "acme",
    mode: "smart_box",
    customer: `Customer ${request}`,
    question: "Help",
    fields: [],
    waiting_secs: 10,
    ...extra,
  };
}

function code(digits: string, expires = 600): CodeInfo {
  return {
    code: digits,
    customer: "Carol",
    portal: "acme",
    expires_in_secs: expires,
    join_url: `https://h.example/p/acme/join?code=${digits}`,
    invitation: "Hello Carol",
  };
}

function run(s: ConsoleState, msgs: PortalMessage[], now = 0): [ConsoleState, Effect[]] {
  let effects: Effect[] = [];
  for (const m of msgs) {
    const [next, more] = consoleUpdate(s, m, now);
    s = next;
    effects = [...effects, ...more];
  }
  return [s, effects];
}

const loggedIn = (): ConsoleState =>
  run(loginSent(initialConsole(), "acme"), [{ type: "logged_in", name: "Bob Smith" }])[0];

test("logging in asks for notification permission and the codes", () => {
  const [s, effects] = run(loginSent(initialConsole(), "acme"), [{ type: "logged_in", name: "Bob Smith" }]);
  assert.equal(s.name, "Bob Smith");
  assert.equal(s.portal, "acme");
  assert.equal(s.loggingIn, false);
  assert.deepEqual(effects, [{ kind: "logged_in" }]);
});

test("a refused login shows its error on the login form", () => {
  const [s] = run(loginSent(initialConsole(), null), [
    { type: "error", kind: "unauthorized", message: "Wrong user name or password." },
  ]);
  assert.equal(s.name, null);
  assert.equal(s.loginError, "Wrong user name or password.");
  assert.equal(s.alert, "Wrong user name or password.");
  assert.equal(s.loggingIn, false);
});

test("only queries that were not in the previous list alert", () => {
  assert.deepEqual(newQueries([], [query(1), query(2)]).map((q) => q.request), [1, 2]);
  assert.deepEqual(newQueries([query(1), query(2)], [query(2, { waiting_secs: 99 }), query(3)]).map((q) => q.request), [3]);
  assert.deepEqual(newQueries([query(1)], []), []);

  const list = (queries: Query[]): PortalMessage => ({ type: "queries", queries, queues: [], accepting: true });
  let [s, effects] = run(loggedIn(), [list([query(1)])]);
  assert.equal(s.alerts, 1);
  assert.deepEqual(effects, [{ kind: "new_query", query: query(1) }]);
  [s, effects] = run(s, [list([query(1, { waiting_secs: 20 }), query(2)])]);
  assert.equal(s.alerts, 2);
  assert.deepEqual(effects.map((e) => (e.kind === "new_query" ? e.query.request : 0)), [2]);
  // A vanished row disappears at once; its return counts as new.
  [s, effects] = run(s, [list([query(2)]), list([query(2), query(1)])]);
  assert.deepEqual(s.queries.map((q) => q.value.request), [2, 1]);
  assert.equal(s.alerts, 3);
  assert.equal(s.accepting, true);
});

test("waiting times count up and queue offers count down from their arrival", () => {
  const [s] = run(loggedIn(), [
    { type: "queries", queries: [query(1, { waiting_secs: 75, offer_expires_in_secs: 30 })], queues: [{ portal: "line", waiting: 3 }], accepting: false },
  ], 10_000);
  const q = s.queries[0];
  assert.ok(q);
  assert.equal(waitingText(q, 10_000), "Waiting 1:15");
  assert.equal(waitingText(q, 15_000), "Waiting 1:20");
  assert.equal(offerText(q, 15_000), "Offer moves on in 0:25");
  assert.equal(offerText(q, 40_000), "Offer moving on…");
  assert.equal(offerText({ value: query(2), arrivedMs: 0 }, 0), null);
  assert.deepEqual(s.queues, [{ portal: "line", waiting: 3 }]);
});

test("codes: created, listed, emailed, cancelled, refused", () => {
  let [s] = run(codeSent(loggedIn()), [{ type: "code_created", ...code("012345678") }], 0);
  assert.deepEqual(s.codes.map((c) => c.value), [code("012345678")]);
  assert.equal(s.codeStatus, "Code 012 345 678 created for Carol.");
  const first = s.codes[0];
  assert.ok(first);
  assert.equal(codeCountdown(first, 0), "10:00");
  assert.equal(codeCountdown(first, 61_000), "8:59");
  assert.equal(codeCountdown(first, 600_000), "expired");

  [s] = run(s, [{ type: "codes", codes: [code("111111111", 30), code("012345678")] }], 5000);
  assert.deepEqual(s.codes.map((c) => c.value.code), ["111111111", "012345678"]);
  [s] = run(codeSent(s), [{ type: "code_emailed", code: "012345678", to: "carol@example.com" }]);
  assert.equal(s.codeStatus, "Invitation sent to carol@example.com");
  [s] = run(codeSent(s), [{ type: "code_cancelled", code: "111111111" }]);
  assert.deepEqual(s.codes.map((c) => c.value.code), ["012345678"]);

  [s] = run(codeSent(s), [{ type: "error", kind: "too_many_codes", message: "You have 8 active codes." }]);
  assert.equal(s.codeStatus, "You have 8 active codes.");
  assert.equal(s.alert, "You have 8 active codes.");
  // An unrelated error later does not land in the codes view.
  [s] = run(s, [{ type: "error", kind: "request_gone", message: "Someone else took it." }]);
  assert.equal(s.codeStatus, "You have 8 active codes.");
  assert.equal(s.alert, "Someone else took it.");
});

test("a taken Web Chat request: chat, escalate, code, close", () => {
  const taken: PortalMessage = { type: "request_taken", request: 17, customer: "Frank", portal: "acme", chat_start: "web_chat" };
  let [s] = run(loggedIn(), [
    { type: "code_created", ...code("012345678") },
    taken,
    { type: "web_chat", request: 17, from_customer: true, name: "Frank", text: "Hi" },
    { type: "web_chat", request: 99, from_customer: true, name: "Nobody", text: "ignored" },
  ]);
  assert.equal(s.taken.length, 1);
  assert.deepEqual(s.taken[0]?.chat, [{ name: "Frank", text: "Hi", fromCustomer: true }]);
  assert.equal(s.taken[0]?.code, null);

  s = escalateSent(s, 17);
  assert.equal(s.taken[0]?.escalating, true);
  [s] = run(s, [{ ...taken, code: code("012345678") }], 3000);
  assert.equal(s.taken.length, 1, "the same pane is updated");
  assert.equal(s.taken[0]?.code?.value.code, "012345678");
  assert.equal(s.taken[0]?.chat.length, 1, "the chat stays");
  assert.equal(s.taken[0]?.escalating, false);
  assert.deepEqual(s.codes, [], "a code whose session started leaves the codes view");

  s = closeSent(s, 17);
  assert.equal(s.taken[0]?.closed, true);
  s = dismissPane(s, 17);
  assert.deepEqual(s.taken, []);
});

test("notifications say who needs help", () => {
  assert.deepEqual(queryNotification(query(1)), { title: "Customer 1 needs help", body: "Help" });
  assert.deepEqual(queryNotification(query(2, { question: " " })), { title: "Customer 2 needs help", body: "On acme" });
});
