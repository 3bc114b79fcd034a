// Sign-in hardening: the second_factor message and error, the login's code (otp), the Account
// page's second factor, managers signing people out and resetting their sign-in, and the
// console going back to the login form when the portal ends a sign-in.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  endsSignIn,
  FACTOR_RULE,
  FACTOR_SETUP,
  factorInvalid,
  factorMode,
  factorRequest,
  factorSent,
  factorStatus,
  groupSecret,
  loginInvalid,
  loginRequest,
  otpauthLink,
  otpDigits,
  resetWords,
  sentence,
} from "../src/account";
import {
  closeAccount,
  closeManagement,
  connectionLost,
  consoleUpdate,
  initialConsole,
  loginSent,
  manageSent,
  openAccount,
  openManagement,
  openPanel,
  openReports,
  type ConsoleState,
} from "../src/console";
import { addedWords } from "../src/console_manage";
import { clientSamples, portalSamples } from "../src/generated/samples";
import { parsePortalMessage } from "../src/parse";
import { mayManageAccount, pageAccess, resetSignInRequest, signOutRequest } from "../src/policy";
import { RECEIVED_BY } from "../src/route";
import type { ClientMessage, ManagementView, MemberView, PortalMessage } from "../src/wire";

const SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const URI = `otpauth://totp/Tandem:bob?secret=${SECRET}&issuer=Tandem&algorithm=SHA1&digits=6&period=30`;
const SETUP = JSON.stringify({ type: "second_factor", enabled: false, setup: { secret: SECRET, uri: URI } });
const ON = '{"type":"second_factor","enabled":true}';
const OFF = '{"type":"second_factor","enabled":false}';
const ASKED = '{"type":"error","kind":"second_factor","message":"enter the 6-digit code from your authenticator app"}';
const SIGNED_OUT = "an administrator signed you out; sign in again";
const EXPIRED = "your sign-in has expired; sign in again";

function parsed(text: string): PortalMessage {
  const msg = parsePortalMessage(text);
  assert.ok(msg !== null, text);
  return msg;
}

function run(s: ConsoleState, msgs: PortalMessage[]): ConsoleState {
  return msgs.reduce((state, m) => consoleUpdate(state, m, 0)[0], s);
}

const unauthorized = (message: string): PortalMessage => ({ type: "error", kind: "unauthorized", message });
const loggedIn = (extra: object = {}): ConsoleState =>
  run(loginSent(initialConsole(), "default", "bob"), [parsed(JSON.stringify({ type: "logged_in", name: "Bob Smith", ...extra }))]);

test("second_factor messages and the second_factor error parse back to themselves", () => {
  for (const text of [SETUP, ON, OFF, ASKED]) assert.deepEqual(parsePortalMessage(text), JSON.parse(text), text);
  assert.deepEqual(RECEIVED_BY.second_factor, ["console"]);
  for (const bad of [
    '{"type":"second_factor"}',
    '{"type":"second_factor","enabled":"yes"}',
    `{"type":"second_factor","enabled":false,"setup":{"secret":"${SECRET}"}}`,
    '{"type":"second_factor","enabled":false,"setup":null}',
  ]) {
    assert.equal(parsePortalMessage(bad), null, bad);
  }
});

test("request builders give the Rust types' shapes (as in generated/samples.ts)", () => {
  const sample = (op: string): ClientMessage | undefined =>
    clientSamples.find((m) => m.type === "manage" && m.op === op);
  assert.deepEqual(signOutRequest("bob"), sample("sign_out"));
  assert.deepEqual(resetSignInRequest("bob"), sample("reset_sign_in"));
  assert.deepEqual(FACTOR_SETUP, sample("second_factor_setup"));
  assert.deepEqual(factorRequest(true, "123 456"), sample("second_factor_on"));
  assert.deepEqual(factorRequest(false, " 654321 "), sample("second_factor_off"));
  assert.equal(factorRequest(true, ""), "Enter the 6-digit code your authenticator app shows now.");
  assert.equal(factorRequest(false, "12345"), "The code is the 6 digits your authenticator app shows now.");
  assert.equal(typeof factorRequest(true, "12345a"), "string");

  // The login: no code until the portal asks; then the code's digits.
  assert.deepEqual(loginRequest(" alice ", "s3cret", " ", null), clientSamples.find((m) => m.type === "login" && m.user === "alice"));
  assert.deepEqual(loginRequest("bob", "correct horse battery staple", "default", "123 456"), {
    type: "login", user: "bob", password: "correct horse battery staple", portal: "default", otp: "123456",
  });
  assert.ok(!("otp" in (loginRequest("bob", "pw", "", null) as object)), "no otp field before it is asked for");
  assert.equal(loginRequest("bob", "", "default", null), "Please enter your user name and password.");
  assert.equal(loginRequest("  ", "pw", "default", null), "Please enter your user name and password.");
  assert.equal(loginRequest("bob", "pw", "default", ""), "Enter the 6-digit code your authenticator app shows now.");
  assert.equal(loginRequest("bob", "pw", "default", "1234567"), "The code is the 6 digits your authenticator app shows now.");
  assert.equal(otpDigits("123-456"), "123456");
  assert.equal(otpDigits("１２３４５６"), null, "ASCII digits only");
});

test("the secret reads in groups of 4; only otpauth links become links", () => {
  assert.equal(groupSecret(SECRET), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
  assert.equal(groupSecret("ABCDEF"), "ABCD EF");
  assert.equal(groupSecret(""), "");
  assert.equal(otpauthLink(URI), URI);
  assert.equal(otpauthLink("javascript:alert(1)"), null);
  assert.equal(otpauthLink("https://example.com/otpauth://x"), null);
  assert.equal(sentence("enter the 6-digit code from your authenticator app"), "Enter the 6-digit code from your authenticator app.");
  assert.equal(sentence("Done."), "Done.");
  assert.match(FACTOR_RULE, /6-digit code your authenticator app shows/);
});

test("a login with a second factor: asked for the code, a wrong one, then in", () => {
  let s = loginSent(initialConsole(), "default", "bob");
  s = run(s, [parsed(ASKED)]);
  assert.equal(s.otpNeeded, true);
  assert.equal(s.otpPrompt, "enter the 6-digit code from your authenticator app");
  assert.equal(s.loggingIn, false);
  assert.equal(s.loginError, null, "a question, not an error");
  assert.equal(s.alert, null);
  assert.equal(s.name, null);
  // A malformed code is refused on the form; the field stays.
  s = loginInvalid(s, "The code is the 6 digits your authenticator app shows now.");
  assert.equal(s.otpNeeded, true);
  // A wrong code: shown as usual, the field stays.
  s = loginSent(s, "default", "bob");
  assert.equal(s.loginError, null);
  s = run(s, [unauthorized("that code is not right (or was used already); wait for the next one")]);
  assert.equal(s.loginError, "that code is not right (or was used already); wait for the next one");
  assert.equal(s.otpNeeded, true);
  // The right one.
  s = run(loginSent(s, "default", "bob"), [{ type: "logged_in", name: "Bob Smith" }]);
  assert.equal(s.name, "Bob Smith");
  assert.equal(s.otpNeeded, false);
  assert.equal(s.otpPrompt, null);
  assert.equal(s.factor.enabled, true, "the account has its second factor on");
  assert.ok(!JSON.stringify(s).includes("123456"), "no code in the state");
  // Without one, it is off.
  assert.equal(loggedIn().factor.enabled, false);
});

test("the Account page: set up, confirm, turn off", () => {
  assert.equal(openAccount(initialConsole()).accountOpen, false, "not before logging in");
  let s = openAccount(loggedIn());
  assert.equal(s.accountOpen, true);
  assert.equal(factorMode(s.factor), "off");
  assert.equal(factorStatus(s.factor), "Off");

  s = run(factorSent(s), [parsed(SETUP)]);
  assert.equal(s.factor.pending, false);
  assert.deepEqual(s.factor.setup, { secret: SECRET, uri: URI });
  assert.equal(factorMode(s.factor), "setup");
  assert.equal(factorStatus(s.factor), "Off");
  // A code the form refuses, then one the portal refuses: the setup stays for another try.
  s = factorInvalid(s, "Enter the 6-digit code your authenticator app shows now.");
  assert.equal(s.factor.error, "Enter the 6-digit code your authenticator app shows now.");
  s = factorSent(s);
  assert.equal(s.factor.error, null);
  assert.equal(s.factor.pending, true);
  s = run(s, [{ type: "error", kind: "bad_request", message: "that code is not right; check the app's clock and try the next one" }]);
  assert.equal(s.factor.error, "that code is not right; check the app's clock and try the next one");
  assert.equal(s.factor.pending, false);
  assert.equal(s.alert, null, "the page's error alone");
  assert.equal(factorMode(s.factor), "setup");

  s = run(factorSent(s), [parsed(ON)]);
  assert.equal(factorMode(s.factor), "on");
  assert.equal(factorStatus(s.factor), "On");
  assert.equal(s.factor.setup, null);
  assert.equal(s.factor.error, null);

  s = run(factorSent(s), [parsed(OFF)]);
  assert.equal(factorMode(s.factor), "off");
  // Closing the page takes an unfinished setup's secret with it; a late one is not kept.
  s = run(factorSent(s), [parsed(SETUP)]);
  const closed = closeAccount(s);
  assert.equal(closed.factor.setup, null);
  assert.equal(closed.accountOpen, false);
  assert.equal(run(closed, [parsed(SETUP)]).factor.setup, null);
  // A lost connection answers nothing.
  assert.equal(connectionLost(factorSent(s)).factor.pending, false);
});

test("the Account page, the management page and the reports page take turns", () => {
  const s = openAccount(loggedIn({ admin: true, reports: true }));
  const managing = openManagement(s);
  assert.equal(managing.managing, true);
  assert.equal(managing.accountOpen, false);
  assert.equal(openReports(s).accountOpen, false);
  const back = openAccount(managing);
  assert.equal(back.accountOpen, true);
  assert.equal(back.managing, false);
  assert.equal(openAccount(openReports(s)).reporting, false);
});

const ADMIN_VIEW: ManagementView = {
  functions: ["screen", "chat"],
  teams: [{ id: 2, name: "Tier 1", parent: null, withheld: [] }],
  members: [
    { user: "ada", name: "Ada Admin", admin: true, team: null, withheld: [], in_force: [], manages: [], powers: [] },
    { user: "bob", name: "Bob Smith", admin: false, team: 2, withheld: [], in_force: [], manages: [], powers: [] },
  ],
  portals: [],
  you: "admin",
  powers: ["add_reps", "change_functions", "view_reports", "own_reports"],
};
const mgmt = (extra: object = {}): PortalMessage => parsed(JSON.stringify({ type: "management", ...ADMIN_VIEW, ...extra }));

test("who may sign people out and reset their sign-in", () => {
  const [ada, bob] = ADMIN_VIEW.members as [MemberView, MemberView];
  const admin = pageAccess(ADMIN_VIEW);
  assert.equal(mayManageAccount(admin, bob, "ada"), true);
  assert.equal(mayManageAccount(admin, ada, "root"), true, "administrators also other administrators");
  assert.equal(mayManageAccount(admin, ada, "ada"), false, "never oneself");
  const manager = pageAccess({ you: "manager", powers: ["add_reps"] });
  assert.equal(mayManageAccount(manager, bob, "mia"), true);
  assert.equal(mayManageAccount(manager, ada, "mia"), false, "not administrators");
  assert.equal(mayManageAccount(manager, { user: "mia", admin: false }, "mia"), false);
  const weak = pageAccess({ you: "manager", powers: ["change_functions"] });
  assert.equal(mayManageAccount(weak, bob, "mia"), false, "not without add_reps");
});

test("a reset's new password gets the reset notice; a sign-out says so", () => {
  let s = run(openManagement(loggedIn({ admin: true })), [mgmt()]);
  s = manageSent(s, resetSignInRequest("bob"));
  assert.deepEqual(s.accountPending, { op: "reset_sign_in", user: "bob" });
  s = run(s, [mgmt({ added: { user: "bob", password: "n3w-pass" } })]);
  assert.deepEqual(s.repAdded, { user: "bob", password: "n3w-pass", reset: true });
  assert.equal(s.accountPending, null);
  assert.ok(s.management !== null && !JSON.stringify(s.management).includes("n3w-pass"));
  assert.deepEqual(addedWords({ user: "bob", password: "x", reset: true }), resetWords("bob"));
  assert.deepEqual(resetWords("bob"), [
    "bob's sign-in was reset. New password: ",
    " — give it to them now; it is not shown again. Their second factor is off.",
  ]);
  assert.deepEqual(addedWords({ user: "carol", password: "x" })[0], "carol was added. First password: ");
  // An add_rep's answer is no reset.
  const added = run(manageSent(s, { type: "manage", op: "add_rep", user: "carol", name: "Carol", team: 2 }), [
    mgmt({ added: { user: "carol", password: "first" } }),
  ]);
  assert.deepEqual(added.repAdded, { user: "carol", password: "first" });

  s = manageSent(s, signOutRequest("bob"));
  assert.equal(s.manageNotice, null);
  s = run(s, [mgmt()]);
  assert.equal(s.manageNotice, "bob was signed out everywhere.");
  assert.equal(manageSent(s).manageNotice, null, "the next request clears it");
  assert.equal(closeManagement(s).manageNotice, null);
  // A refused one says why on the page, and no notice follows.
  const refused = run(manageSent(s, signOutRequest("ada")), [unauthorized("you manage only your own teams")]);
  assert.equal(refused.manageError, "you manage only your own teams");
  assert.equal(refused.accountPending, null);
  assert.equal(refused.signedOut, null, "a refusal does not end the sign-in");
  assert.equal(connectionLost(refused).name, "Bob Smith");
});

test("a lost connection takes an unfinished setup's secret and a reset's password", () => {
  // The Account page with a setup waiting for its code.
  const setup = run(factorSent(openAccount(loggedIn())), [parsed(SETUP)]);
  assert.deepEqual(setup.factor.setup, { secret: SECRET, uri: URI });
  const lost = connectionLost(setup);
  assert.equal(lost.lost, true, "the lost-connection banner, not the login form");
  assert.equal(lost.name, "Bob Smith");
  assert.equal(lost.accountOpen, true);
  assert.equal(lost.factor.setup, null);
  assert.equal(lost.factor.pending, false);
  assert.equal(factorMode(lost.factor), "off");
  assert.ok(!JSON.stringify(lost).includes(SECRET), "the secret is nowhere in the state");
  // The factor's state is kept.
  const on = connectionLost(run(factorSent(setup), [parsed(ON)]));
  assert.equal(on.factor.enabled, true);

  // A reset's new password on the management page goes as well.
  let s = run(openManagement(loggedIn({ admin: true })), [mgmt()]);
  s = run(manageSent(s, resetSignInRequest("bob")), [mgmt({ added: { user: "bob", password: "n3w-pass" } })]);
  assert.deepEqual(s.repAdded, { user: "bob", password: "n3w-pass", reset: true });
  const gone = connectionLost(s);
  assert.equal(gone.repAdded, null);
  assert.equal(gone.managing, true);
  assert.ok(!JSON.stringify(gone).includes("n3w-pass"));
  // A reset answered after the page closed is not kept either.
  const late = run(closeManagement(manageSent(s, resetSignInRequest("bob"))), [mgmt({ added: { user: "bob", password: "l4te-pass" } })]);
  assert.equal(late.repAdded, null);
  assert.ok(!JSON.stringify(late).includes("l4te-pass"));
});

test("signed out by the portal: back to the login form with its words", () => {
  for (const words of [SIGNED_OUT, EXPIRED]) {
    assert.equal(endsSignIn("unauthorized", words), true);
    let [s] = openPanel(openAccount(loggedIn({ admin: true })), "111222333", "Carol", null);
    s = run(s, [unauthorized(words)]);
    assert.equal(s.signedOut, words);
    s = connectionLost(s);
    assert.equal(s.name, null, "the login form");
    assert.equal(s.loginError, words);
    assert.equal(s.lost, false, "not the lost-connection banner");
    assert.equal(s.alert, null);
    assert.deepEqual(s.panels, []);
    assert.equal(s.accountOpen, false);
    assert.equal(s.admin, false);
  }
  // Any other loss keeps the console with its banner.
  const lost = connectionLost(loggedIn());
  assert.equal(lost.lost, true);
  assert.equal(lost.name, "Bob Smith");
  assert.equal(endsSignIn("bad_request", SIGNED_OUT), false);
  assert.equal(endsSignIn("unauthorized", "you manage only your own teams"), false);
  // A new login forgets it.
  const again = loginSent(run(loggedIn(), [unauthorized(SIGNED_OUT)]), "default", "bob");
  assert.equal(again.signedOut, null);
});

test("every sample of the new messages reaches the console", () => {
  const factor = portalSamples.filter((m) => m.type === "second_factor");
  assert.equal(factor.length, 2);
  const s = openAccount(loggedIn());
  for (const m of factor) assert.notEqual(consoleUpdate(s, m, 0)[0], s);
  const withOtp = clientSamples.filter((m) => m.type === "login" && m.otp !== undefined);
  assert.equal(withOtp.length, 1);
});
