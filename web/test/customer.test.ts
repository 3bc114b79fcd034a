import assert from "node:assert/strict";
import { test } from "node:test";

import {
  appNeededSentence,
  checkCode,
  checkForm,
  CLOSED,
  customerUpdate,
  etaSentence,
  initialCustomer,
  joinPath,
  mayWithdraw,
  NOBODY_ONLINE,
  requestSent,
  statusSentence,
  unavailableReason,
  withdrawn,
  type CustomerState,
} from "../src/customer";
import { routeOf } from "../src/route";
import type { FieldSpec, PortalMessage, PortalPage } from "../src/wire";

function page(extra: Partial<PortalPage> = {}): PortalPage {
  return {
    name: "acme",
    title: "Acme IT help",
    mode: "smart_box",
    chat_start: "web_chat",
    fields: [],
    availability: "open",
    reps: [],
    queue_length: 0,
    ...extra,
  };
}

function run(s: CustomerState, msgs: PortalMessage[]): CustomerState {
  return msgs.reduce(customerUpdate, s);
}

test("request-state sentences", () => {
  assert.equal(
    statusSentence({ state: "waiting", reps_online: 3 }, null),
    "Your request was sent to the 3 representatives online. Please keep this page open.",
  );
  assert.equal(
    statusSentence({ state: "waiting", reps_online: 1 }, null),
    "Your request was sent to the 1 representative online. Please keep this page open.",
  );
  assert.equal(
    statusSentence({ state: "waiting", position: 2, estimated_wait_secs: 300, reps_online: 2 }, null),
    "You are waiting for the next free representative.",
  );
  assert.equal(etaSentence(300), "Estimated wait: about 5 minutes");
  assert.equal(statusSentence({ state: "ringing" }, null), "A representative is looking at your request…");
  assert.equal(statusSentence({ state: "accepted", rep_name: "Bob", chat_start: "web_chat" }, null), "Bob is here to help.");
  assert.equal(
    statusSentence({ state: "accepted", rep_name: "Bob", chat_start: "download" }, null),
    "Bob accepted. Start the customer app to share your screen.",
  );
  assert.equal(
    statusSentence({ state: "in_session" }, "Bob"),
    "Your screen is being shared in the Tandem customer app.",
  );
  assert.equal(statusSentence({ state: "ended", reason: "Bob closed your request." }, "Bob"), "Bob closed your request.");
  assert.equal(statusSentence({ state: "ended", reason: "" }, "Bob"), "Your request has ended.");
  assert.equal(
    appNeededSentence("Bob"),
    "Bob would like to see your screen. Open this link and start the Tandem customer app:",
  );
});

test("a request from waiting to web chat to the customer app", () => {
  let s = run(initialCustomer("acme"), [{ type: "portal", ...page() }]);
  assert.equal(s.page?.title, "Acme IT help");
  s = requestSent(s);
  assert.equal(s.sending, true);
  s = run(s, [{ type: "request_status", request: 17, state: { state: "waiting", reps_online: 2 } }]);
  assert.equal(s.request, 17);
  assert.equal(s.sending, false);
  assert.ok(mayWithdraw(s.status));
  s = run(s, [
    { type: "request_status", request: 18, state: { state: "ringing" } },
    { type: "request_status", request: 17, state: { state: "accepted", rep_name: "Bob", chat_start: "web_chat" } },
    { type: "web_chat", request: 17, from_customer: false, name: "Bob", text: "Hello" },
    { type: "web_chat", request: 18, from_customer: false, name: "Eve", text: "not yours" },
    { type: "request_status", request: 17, state: { state: "app_needed", join_url: "https://h/p/acme/join?code=012345678", code: "012345678" } },
  ]);
  assert.equal(s.status?.state, "app_needed");
  assert.equal(s.repName, "Bob");
  assert.equal(s.chatOpen, true);
  assert.deepEqual(s.chat, [{ name: "Bob", text: "Hello", fromCustomer: false }]);
  assert.ok(!mayWithdraw(s.status));
});

test("download start opens no chat; withdrawing ends the request", () => {
  let s = run(initialCustomer("acme"), [
    { type: "request_status", request: 5, state: { state: "accepted", rep_name: "Al", chat_start: "download" } },
  ]);
  assert.equal(s.chatOpen, false);
  s = withdrawn(run(initialCustomer("acme"), [{ type: "request_status", request: 5, state: { state: "ringing" } }]));
  assert.equal(s.status?.state, "ended");
});

test("errors: unknown portal, refused form, anything else", () => {
  assert.equal(run(initialCustomer("nope"), [{ type: "error", kind: "portal_unknown", message: "x" }]).noPortal, true);
  const refused = run(requestSent(initialCustomer("acme")), [{ type: "error", kind: "queue_full", message: "Too many people are waiting." }]);
  assert.equal(refused.formError, "Too many people are waiting.");
  assert.equal(refused.sending, false);
  const other = run(initialCustomer("acme"), [{ type: "error", kind: "bad_request", message: "No." }]);
  assert.equal(other.error, "No.");
  assert.equal(other.formError, null);
});

test("when the form is unavailable", () => {
  assert.equal(unavailableReason(page()), null);
  assert.equal(unavailableReason(page({ availability: "closed" })), CLOSED);
  assert.equal(unavailableReason(page({ availability: "nobody_online" })), NOBODY_ONLINE);
  assert.equal(unavailableReason(page({ mode: "smart_pin", availability: "nobody_online" })), null);
  assert.equal(unavailableReason(page({ mode: "smart_pin", availability: "closed" })), CLOSED);
  assert.equal(unavailableReason(page({ mode: "smart_match" })), NOBODY_ONLINE);
  assert.equal(unavailableReason(page({ mode: "smart_match", reps: [{ handle: "rep7", name: "Bob" }] })), null);
});

test("the page's own checks", () => {
  const fields: FieldSpec[] = [
    { label: "Email", required: true, kind: "email" },
    { label: "Phone", required: false, kind: "phone" },
    { label: "Customer number", required: true, kind: "number" },
  ];
  assert.equal(checkForm(" ", fields, ["a@b", "", "1"]), "Please enter your name.");
  assert.equal(checkForm("Ann", fields, ["", "", ""]), "Please fill in: Email, Customer number.");
  assert.equal(checkForm("Ann", fields, ["a@b", "", "12a"]), "Please use digits only in: Customer number.");
  assert.equal(checkForm("Ann", fields, ["a@b", "", "12"]), null);
  assert.deepEqual(checkCode("123 456 789"), { code: "123456789" });
  assert.ok("error" in checkCode("1234"));
  assert.equal(joinPath("acme", "123456789"), "/p/acme/join?code=123456789");
  assert.equal(joinPath("a b", "123456789"), "/p/a%20b/join?code=123456789");
});

test("routes", () => {
  assert.deepEqual(routeOf("/p/acme"), { page: "customer", portal: "acme" });
  assert.deepEqual(routeOf("/p/acme/"), { page: "customer", portal: "acme" });
  assert.deepEqual(routeOf("/p/a%20b"), { page: "customer", portal: "a b" });
  assert.deepEqual(routeOf("/p/acme/join"), { page: "not_found" });
  assert.deepEqual(routeOf("/p/%E0%A4%A"), { page: "not_found" });
  assert.deepEqual(routeOf("/console"), { page: "console" });
  assert.deepEqual(routeOf("/"), { page: "not_found" });
  assert.deepEqual(routeOf("/consoles"), { page: "not_found" });
});
