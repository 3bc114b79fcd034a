// The policy messages: parsing (hand-written samples in the Rust types' JSON shapes, beside
// generated/samples.ts), and the console's state for them — functions from logged_in and
// functions, the management page, its answers and errors. Team managers, new representatives
// and reports are in console_access.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  closeManagement,
  connectionLost,
  consoleUpdate,
  initialConsole,
  loginSent,
  manageSent,
  openManagement,
  type ConsoleState,
} from "../src/console";
import { IN_FORCE_RULE, SHOW } from "../src/console_manage";
import { parsePortalMessage } from "../src/parse";
import { RECEIVED_BY, SENT_BY } from "../src/route";
import type { ClientMessage, ManagementView, PortalMessage } from "../src/wire";

const ALL = ["screen", "control", "files", "reboot", "chat", "invite_reps", "invite_specialists", "specialist_control"];

const LOGGED_IN =
  '{"type":"logged_in","name":"Bob Smith","portal_url":"https://help.example.com:8470#pin=sha256:00ff","admin":true,"functions":["screen","control","chat"]}';
const FUNCTIONS = '{"type":"functions","allowed":["screen","chat"]}';
const MANAGEMENT = JSON.stringify({
  type: "management",
  functions: ALL,
  teams: [
    { id: 1, name: "Support", parent: null, withheld: ["reboot"] },
    { id: 2, name: "Tier 1", parent: 1, withheld: [] },
  ],
  members: [
    {
      user: "bob",
      name: "Bob Smith",
      admin: false,
      team: 2,
      withheld: ["files"],
      in_force: ["screen", "control", "chat", "invite_reps", "invite_specialists", "specialist_control"],
      manages: [],
      powers: ["own_reports"],
    },
    { user: "root", name: "Ada Admin", admin: true, team: null, withheld: [], in_force: ALL, manages: [], powers: [] },
  ],
  portals: [{ portal: "default", withheld: [] }],
  you: "admin",
  powers: ["add_reps", "change_functions", "view_reports", "own_reports"],
});

/** The client messages in the Rust types' JSON shapes (ManageRequest, tagged by op). */
const CLIENT: ClientMessage[] = [
  { type: "manage", op: "show" },
  { type: "manage", op: "add_team", name: "Tier 2", parent: 1 },
  { type: "manage", op: "move_team", team: 2, parent: null },
  { type: "manage", op: "set_team", user: "bob", team: 2 },
  { type: "manage", op: "withhold", scope: { kind: "team", team: 2 }, withheld: ["files"] },
  { type: "manage", op: "withhold", scope: { kind: "rep", user: "bob" }, withheld: ["control"] },
  { type: "manage", op: "withhold", scope: { kind: "portal", portal: "default" }, withheld: [] },
];

function parsed(text: string): PortalMessage {
  const msg = parsePortalMessage(text);
  assert.ok(msg !== null, text);
  return msg;
}

function run(s: ConsoleState, msgs: PortalMessage[]): ConsoleState {
  return msgs.reduce((state, m) => consoleUpdate(state, m, 0)[0], s);
}

const admin = (): ConsoleState => run(loginSent(initialConsole(), "default"), [parsed(LOGGED_IN)]);

test("the policy messages parse back to themselves", () => {
  for (const text of [LOGGED_IN, FUNCTIONS, MANAGEMENT, '{"type":"logged_in","name":"Old Portal"}']) {
    assert.deepEqual(parsePortalMessage(text), JSON.parse(text), text);
  }
  for (const m of CLIENT) assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
  assert.deepEqual(SHOW, { type: "manage", op: "show" });
  assert.deepEqual(RECEIVED_BY.functions, ["console"]);
  assert.deepEqual(RECEIVED_BY.management, ["console"]);
  assert.deepEqual(SENT_BY.manage, ["console"]);
});

test("malformed policy messages are refused", () => {
  const view = JSON.parse(MANAGEMENT) as ManagementView & { type: string };
  for (const bad of [
    '{"type":"logged_in","name":"Bob","admin":"yes"}',
    '{"type":"logged_in","name":"Bob","functions":"screen"}',
    '{"type":"logged_in","name":"Bob","functions":[1]}',
    '{"type":"functions"}',
    '{"type":"functions","allowed":[null]}',
    '{"type":"management","functions":[],"teams":[],"members":[]}',
    JSON.stringify({ ...view, teams: [{ id: 1, name: "A", withheld: [] }] }),
    JSON.stringify({ ...view, teams: [{ id: 1, name: "A", parent: "2", withheld: [] }] }),
    JSON.stringify({ ...view, members: [{ user: "bob", name: "Bob", admin: false, team: null, withheld: [] }] }),
    JSON.stringify({ ...view, members: [{ user: "bob", name: "Bob", admin: false, team: null, withheld: [], in_force: [], powers: [] }] }),
    JSON.stringify({ ...view, portals: [{ portal: "default" }] }),
  ]) {
    assert.equal(parsePortalMessage(bad), null, bad);
  }
});

test("logged_in brings admin and the allowed functions; absent means not admin, everything", () => {
  const s = admin();
  assert.equal(s.admin, true);
  assert.deepEqual(s.functions, ["screen", "control", "chat"]);
  const old = run(loginSent(initialConsole(), null), [{ type: "logged_in", name: "Bob" }]);
  assert.equal(old.admin, false);
  assert.equal(old.functions, null);
});

test("a functions message replaces the allowed list", () => {
  let s = run(admin(), [parsed(FUNCTIONS)]);
  assert.deepEqual(s.functions, ["screen", "chat"]);
  s = run(s, [{ type: "functions", allowed: [] }]);
  assert.deepEqual(s.functions, []);
});

test("only an administrator opens the management page", () => {
  const rep = run(loginSent(initialConsole(), null), [{ type: "logged_in", name: "Bob" }]);
  assert.equal(openManagement(rep), rep);
  const loggedOut = { ...initialConsole(), admin: true };
  assert.equal(openManagement(loggedOut), loggedOut, "not before logging in");
  const s = openManagement(admin());
  assert.equal(s.managing, true);
  assert.equal(s.managePending, true);
  assert.equal(closeManagement(s).managing, false);
});

test("the management state, and errors while the page is open", () => {
  let s = run(openManagement(admin()), [parsed(MANAGEMENT)]);
  assert.equal(s.managePending, false);
  assert.deepEqual(s.management?.teams.map((t) => t.name), ["Support", "Tier 1"]);
  assert.deepEqual(s.management?.members.map((m) => m.user), ["bob", "root"]);
  assert.ok(!("type" in (s.management ?? {})), "the view, not the message");

  // A refused request: the page shows why (not the toast), until the next answer.
  s = manageSent(s);
  s = run(s, [{ type: "error", kind: "bad_request", message: "there is a team named 'Support' already" }]);
  assert.equal(s.manageError, "there is a team named 'Support' already");
  assert.equal(s.alert, null);
  assert.equal(s.managePending, false);
  assert.ok(s.management !== null, "the last state stays");
  s = run(s, [parsed(MANAGEMENT)]);
  assert.equal(s.manageError, null);

  // An error nobody on the page asked for shows there and in the toast.
  s = run(s, [{ type: "error", kind: "rate_limited", message: "Slow down." }]);
  assert.equal(s.manageError, "Slow down.");
  assert.equal(s.alert, "Slow down.");
  // Sending again clears it; leaving the page forgets it.
  assert.equal(manageSent(s).manageError, null);
  assert.equal(closeManagement(s).manageError, null);

  // With the page closed, errors go where they always went.
  const closed = run(closeManagement(s), [{ type: "error", kind: "bad_request", message: "No." }]);
  assert.equal(closed.manageError, null);
  assert.equal(closed.alert, "No.");
  assert.equal(connectionLost(manageSent(s)).managePending, false);
});

test("the page says how the settings combine", () => {
  assert.equal(
    IN_FORCE_RULE,
    "What is in force for a representative is the most restrictive of their own, their team's (and every team above it) and the portal's settings; changes apply to running sessions at once.",
  );
});
