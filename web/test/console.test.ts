import assert from "node:assert/strict";
import { test } from "node:test";

import {
  closePanel,
  closeSent,
  CLOSE_ERROR_WINDOW_MS,
  codeCountdown,
  codeSent,
  connectionLost,
  consoleUpdate,
  dismissPane,
  escalateSent,
  initialConsole,
  loginSent,
  newQueries,
  offerText,
  openPanel,
  panelMessage,
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

  s = escalateSent(s, 17, 1000);
  assert.equal(s.taken[0]?.escalating, true);
  [s] = run(s, [{ ...taken, code: code("012345678") }], 3000);
  assert.equal(s.taken.length, 1, "the same pane is updated");
  assert.equal(s.taken[0]?.code?.value.code, "012345678");
  assert.equal(s.taken[0]?.chat.length, 1, "the chat stays");
  assert.equal(s.taken[0]?.escalating, false);
  assert.deepEqual(s.codes, [], "a code whose session started leaves the codes view");

  s = closeSent(s, 17, 5000);
  assert.equal(s.taken[0]?.closed, true);
  s = dismissPane(s, 17);
  assert.deepEqual(s.taken, []);
});

test("notifications say who needs help", () => {
  assert.deepEqual(queryNotification(query(1)), { title: "Customer 1 needs help", body: "Help" });
  assert.deepEqual(queryNotification(query(2, { question: " " })), { title: "Customer 2 needs help", body: "On acme" });
});

const webChat: PortalMessage = { type: "request_taken", request: 17, customer: "Frank", portal: "acme", chat_start: "web_chat" };

test("a refused escalation leaves the waiting state and shows why", () => {
  for (const kind of ["request_gone", "bad_request", "internal"] as const) {
    let [s] = run(loggedIn(), [webChat]);
    s = escalateSent(s, 17, 1000);
    [s] = run(s, [{ type: "error", kind, message: "No." }], 2000);
    assert.equal(s.taken[0]?.escalating, false, kind);
    assert.equal(s.taken[0]?.error, "No.", kind);
    assert.equal(s.codeStatus, null, "not a code error");
    // Trying again clears the error.
    s = escalateSent(s, 17, 3000);
    assert.equal(s.taken[0]?.error, null);
    assert.equal(s.taken[0]?.escalating, true);
  }
  // With two escalations out, the older one gets the error.
  let [s] = run(loggedIn(), [webChat, { ...webChat, request: 18 }]);
  s = escalateSent(escalateSent(s, 18, 1000), 17, 2000);
  [s] = run(s, [{ type: "error", kind: "request_gone", message: "Gone." }]);
  assert.deepEqual(s.taken.map((p) => [p.request, p.escalating, p.error]), [[17, true, null], [18, false, "Gone."]]);
  // An error of another kind is not the escalation's.
  [s] = run(s, [{ type: "error", kind: "not_host", message: "Only the host." }]);
  assert.equal(s.taken[0]?.escalating, true);
});

test("a close the portal refuses shows it in the closed pane", () => {
  let [s] = run(loggedIn(), [webChat]);
  s = closeSent(s, 17, 10_000);
  assert.equal(s.taken[0]?.closed, true, "closed at once");
  [s] = run(s, [{ type: "error", kind: "request_gone", message: "This request is no longer waiting." }], 10_500);
  assert.equal(s.taken[0]?.error, "This request is no longer waiting.");
  assert.equal(s.taken[0]?.closed, true);
  // Long after the close, the same error is someone else's.
  [s] = run(loggedIn(), [webChat]);
  s = closeSent(s, 17, 0);
  [s] = run(s, [{ type: "error", kind: "request_gone", message: "Later." }], CLOSE_ERROR_WINDOW_MS + 1);
  assert.equal(s.taken[0]?.error, null);
  assert.equal(s.alert, "Later.");
});

test("a taken request's code opens its session panel", () => {
  let [s, effects] = run(loggedIn(), [webChat, { ...webChat, code: code("012345678") }], 0);
  assert.deepEqual(effects, [{ kind: "panel_ticket", code: "012345678" }]);
  assert.equal(s.panels.length, 1);
  const panel = s.panels[0];
  assert.ok(panel);
  assert.deepEqual([panel.code, panel.request, panel.customer, panel.phase], ["012345678", 17, "Frank", "ticket"]);
  // The same code again opens nothing new.
  [s, effects] = run(s, [{ ...webChat, code: code("012345678") }]);
  assert.deepEqual(effects, []);
  assert.equal(s.panels.length, 1);

  [s, effects] = run(s, [{ type: "panel_ticket", code: "012345678", ticket: "ab".repeat(24) }]);
  assert.deepEqual(effects, [{ kind: "open_panel", panel: panel.id, ticket: "ab".repeat(24) }]);
  assert.equal(s.panels[0]?.phase, "connecting");
  assert.ok(!JSON.stringify(s).includes("abab"), "the ticket is not kept");
  // A second ticket for it is not used twice.
  [, effects] = run(s, [{ type: "panel_ticket", code: "012345678", ticket: "cd".repeat(24) }]);
  assert.deepEqual(effects, []);

  s = panelMessage(s, panel.id, { type: "panel_waiting", code: "012345678" }, 0);
  assert.equal(s.panels[0]?.phase, "waiting");
  // Closing the request ends the wait (its code is cancelled); removing its pane removes the panel.
  s = closeSent(s, 17, 0);
  assert.equal(s.panels[0]?.phase, "ended");
  s = dismissPane(s, 17);
  assert.deepEqual(s.panels, []);
});

test("opening a code's session: a ticket, once; refused tickets; closing", () => {
  let [s, effects] = openPanel(loggedIn(), "111222333", "Carol", null);
  assert.deepEqual(effects, [{ kind: "panel_ticket", code: "111222333" }]);
  const id = s.panels[0]?.id ?? -1;
  [s, effects] = openPanel(s, "111222333", "Carol", null);
  assert.deepEqual(effects, [{ kind: "focus_panel", panel: id }], "an open panel is shown, not doubled");
  assert.equal(s.panels.length, 1);

  [s] = run(s, [{ type: "error", kind: "code_expired", message: "This code has expired." }]);
  assert.equal(s.panels[0]?.phase, "failed");
  assert.equal(s.panels[0]?.error, "This code has expired.");
  assert.equal(s.codeStatus, null, "the panel's error, not the codes view's");

  // A failed panel is replaced by a new one.
  [s, effects] = openPanel(s, "111222333", "Carol", null);
  assert.deepEqual(effects, [{ kind: "panel_ticket", code: "111222333" }]);
  assert.equal(s.panels.length, 1);
  assert.notEqual(s.panels[0]?.id, id);
  s = connectionLost(s);
  assert.equal(s.panels[0]?.phase, "failed", "no ticket comes on a lost connection");
  s = closePanel(s, s.panels[0]?.id ?? -1);
  assert.deepEqual(s.panels, []);
});

test("notes saved through the console's own connection reach their panel", () => {
  let [s] = openPanel(loggedIn(), "111222333", "Carol", null);
  const id = s.panels[0]?.id ?? -1;
  s = panelMessage(s, id, { type: "joined", session: 42, you: 2, customer: "carol@laptop", rights: 31 }, 0);
  [s] = run(s, [{ type: "notes_saved", session: 42 }]);
  assert.equal(s.panels[0]?.notesStatus, "Notes saved");
});
