// Tiered access in the console: team managers and who may see reports (from logged_in), the
// messages that carry them (hand-written samples in the Rust types' JSON shapes, beside
// generated/samples.ts), set_access and add_rep answered with the management state, the
// first-password notice's lifecycle, and the reports page's state.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  closeManagement,
  closeReports,
  connectionLost,
  consoleUpdate,
  dismissAdded,
  initialConsole,
  loginSent,
  manageSent,
  openManagement,
  openReports,
  reportInvalid,
  reportSent,
  type ConsoleState,
} from "../src/console";
import { addedWords, managerNote } from "../src/console_manage";
import { parsePortalMessage } from "../src/parse";
import { accessRequest, addRepRequest, pageAccess } from "../src/policy";
import { reportRequest } from "../src/reports";
import { RECEIVED_BY } from "../src/route";
import type { ClientMessage, ManagementView, PortalMessage, ReportView } from "../src/wire";

const ALL = ["screen", "control", "files", "reboot", "chat", "invite_reps", "invite_specialists", "specialist_control"];
const POWERS = ["add_reps", "change_functions", "view_reports", "own_reports"];

const ADMIN_VIEW: ManagementView = {
  functions: ALL,
  teams: [
    { id: 1, name: "Support", parent: null, withheld: [] },
    { id: 2, name: "Tier 1", parent: 1, withheld: [] },
    { id: 3, name: "Sales", parent: null, withheld: [] },
  ],
  members: [
    { user: "mia", name: "Mia Manager", admin: false, team: 1, withheld: [], in_force: ALL, manages: [1], powers: ["add_reps", "view_reports"] },
    { user: "bob", name: "Bob Smith", admin: false, team: 2, withheld: [], in_force: ALL, manages: [], powers: ["own_reports"] },
  ],
  portals: [{ portal: "default", withheld: [] }],
  you: "admin",
  powers: POWERS,
};

/** What Mia sees: her teams (1 and its subteam 2), their people, no portals. */
const MANAGER_VIEW: ManagementView = {
  ...ADMIN_VIEW,
  teams: ADMIN_VIEW.teams.filter((t) => t.id !== 3),
  portals: [],
  you: "manager",
  powers: ["add_reps", "view_reports"],
};

const mgmt = (view: ManagementView, extra: object = {}): string => JSON.stringify({ type: "management", ...view, ...extra });

const ADDED = mgmt(ADMIN_VIEW, { added: { user: "carol", password: "correct-horse-battery" } });

const REPORT: ReportView = {
  sessions: [
    {
      id: 12,
      rep: "bob",
      rep_name: "Bob Smith",
      customer: "Carol Customer",
      portal: "default",
      started_at: 1796000000,
      ended_at: 1796000595,
      end_reason: "the representative ended the session",
      outcome: "resolved",
      notes: "Printer driver reinstalled.",
      events: [
        { at: 1796000005, actor: "Carol Customer", action: "attendee.join", detail: "customer" },
        { at: 1796000590, actor: "-", action: "session.end", detail: "" },
      ],
    },
    {
      id: 13,
      rep: "bob",
      rep_name: "Bob Smith",
      customer: "Dan",
      portal: "acme",
      started_at: 1796001000,
      ended_at: null,
      end_reason: null,
      outcome: null,
      notes: null,
      events: [],
    },
  ],
  truncated: true,
  csv: "session,representative\r\n12,bob\r\n13,bob\r\n",
};

function parsed(text: string): PortalMessage {
  const msg = parsePortalMessage(text);
  assert.ok(msg !== null, text);
  return msg;
}

function run(s: ConsoleState, msgs: PortalMessage[]): ConsoleState {
  return msgs.reduce((state, m) => consoleUpdate(state, m, 0)[0], s);
}

const login = (extra: object): ConsoleState =>
  run(loginSent(initialConsole(), "default"), [parsed(JSON.stringify({ type: "logged_in", name: "Mia Manager", ...extra }))]);

test("the new messages parse back to themselves", () => {
  for (const text of [
    '{"type":"logged_in","name":"Mia","manager":true,"reports":true}',
    '{"type":"logged_in","name":"Bob","reports":true,"functions":["screen"]}',
    mgmt(ADMIN_VIEW),
    mgmt(MANAGER_VIEW),
    ADDED,
    JSON.stringify({ type: "report", ...REPORT }),
    '{"type":"report","sessions":[],"truncated":false,"csv":""}',
  ]) {
    assert.deepEqual(parsePortalMessage(text), JSON.parse(text), text);
  }
  assert.deepEqual(RECEIVED_BY.report, ["console"]);
  // The requests in the Rust types' JSON shapes.
  const client: ClientMessage[] = [
    { type: "manage", op: "set_access", user: "mia", manages: [1], powers: ["add_reps", "view_reports"] },
    { type: "manage", op: "set_access", user: "bob", manages: [], powers: [] },
    { type: "manage", op: "add_rep", user: "carol", name: "Carol Jones", team: 2 },
    { type: "manage", op: "add_rep", user: "dave", name: "Dave", team: null },
    { type: "manage", op: "report" },
    { type: "manage", op: "report", from: 1796000000, to: null, team: 2, rep: "bob", portal: null, outcome: "none" },
  ];
  for (const m of client) assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
});

test("malformed access and report messages are refused", () => {
  const session = REPORT.sessions[0];
  for (const bad of [
    '{"type":"logged_in","name":"Mia","manager":"yes"}',
    '{"type":"logged_in","name":"Mia","reports":1}',
    mgmt({ ...ADMIN_VIEW, you: "boss" as "admin" }),
    JSON.stringify({ type: "management", ...ADMIN_VIEW, you: undefined }),
    JSON.stringify({ type: "management", ...ADMIN_VIEW, powers: undefined }),
    mgmt(ADMIN_VIEW, { added: { user: "carol" } }),
    mgmt(ADMIN_VIEW, { added: null }),
    mgmt({ ...ADMIN_VIEW, members: [{ ...ADMIN_VIEW.members[0], manages: ["1"] } as never] }),
    mgmt({ ...ADMIN_VIEW, members: [{ ...ADMIN_VIEW.members[0], powers: undefined } as never] }),
    '{"type":"report","sessions":[],"truncated":false}',
    '{"type":"report","sessions":[],"truncated":"no","csv":""}',
    JSON.stringify({ type: "report", ...REPORT, sessions: [{ ...session, ended_at: "later" }] }),
    JSON.stringify({ type: "report", ...REPORT, sessions: [{ ...session, outcome: undefined }] }),
    JSON.stringify({ type: "report", ...REPORT, sessions: [{ ...session, events: [{ at: 1, actor: "a", action: "x" }] }] }),
  ]) {
    assert.equal(parsePortalMessage(bad), null, bad);
  }
});

test("logged_in says who manages teams and who sees reports; absent means neither", () => {
  const mia = login({ manager: true, reports: true });
  assert.equal(mia.manager, true);
  assert.equal(mia.reportsAllowed, true);
  assert.equal(mia.admin, false);
  const old = login({});
  assert.equal(old.manager, false);
  assert.equal(old.reportsAllowed, false);
});

test("administrators and team managers open the management page; others do not", () => {
  assert.equal(openManagement(login({ manager: true })).managing, true);
  assert.equal(openManagement(login({ admin: true })).managing, true);
  const bob = login({ reports: true });
  assert.equal(openManagement(bob), bob);
  // A manager who is one no longer loses the page at the next logged_in.
  let s = run(openManagement(login({ manager: true })), [parsed(mgmt(MANAGER_VIEW))]);
  s = run(s, [parsed('{"type":"logged_in","name":"Mia"}')]);
  assert.equal(s.managing, false);
});

test("a manager's page: only their teams, their powers", () => {
  const s = run(openManagement(login({ manager: true })), [parsed(mgmt(MANAGER_VIEW))]);
  assert.equal(s.management?.you, "manager");
  assert.deepEqual(s.management?.portals, []);
  assert.deepEqual(pageAccess(s.management ?? ADMIN_VIEW), { admin: false, changeFunctions: false, addReps: true });
  assert.equal(
    managerNote(MANAGER_VIEW.powers),
    "You see the teams you manage (with their subteams) and the representatives in them. An administrator allowed you: Add representatives, See their teams' reports. The settings below are shown read-only.",
  );
  assert.match(managerNote([]), /given you no powers yet/);
  assert.ok(!managerNote(["change_functions"]).includes("read-only"));
});

test("set_access is answered with the whole new state", () => {
  let s = run(openManagement(login({ admin: true })), [parsed(mgmt(ADMIN_VIEW))]);
  const msg = accessRequest("bob", [2], ["own_reports", "view_reports"]);
  assert.deepEqual(msg, { type: "manage", op: "set_access", user: "bob", manages: [2], powers: ["own_reports", "view_reports"] });
  s = manageSent(s);
  assert.equal(s.managePending, true);
  const bob = { ...ADMIN_VIEW.members[1], manages: [2], powers: ["view_reports", "own_reports"] };
  s = run(s, [parsed(mgmt({ ...ADMIN_VIEW, members: [ADMIN_VIEW.members[0], bob] as ManagementView["members"] }))]);
  assert.equal(s.managePending, false);
  assert.deepEqual(s.management?.members.find((m) => m.user === "bob")?.manages, [2]);
  // A manager may not: the portal says so on the page.
  s = run(manageSent(s), [{ type: "error", kind: "unauthorized", message: "only administrators may make or change managers" }]);
  assert.equal(s.manageError, "only administrators may make or change managers");
  assert.equal(s.alert, null);
});

test("add_rep: the first password is shown once, on the page only", () => {
  const msg = addRepRequest(" carol ", " Carol Jones ", "2", pageAccess(ADMIN_VIEW));
  assert.deepEqual(msg, { type: "manage", op: "add_rep", user: "carol", name: "Carol Jones", team: 2 });
  let s = manageSent(run(openManagement(login({ admin: true })), [parsed(mgmt(ADMIN_VIEW))]));
  s = run(s, [parsed(ADDED)]);
  assert.deepEqual(s.repAdded, { user: "carol", password: "correct-horse-battery" });
  assert.ok(s.management !== null && !("added" in s.management), "the kept state has no password");
  assert.ok(!JSON.stringify(s.management).includes("correct-horse-battery"));
  assert.deepEqual(addedWords({ user: "carol", password: "x" }), [
    "carol was added. First password: ",
    " — give it to them now; it is not shown again.",
  ]);

  // The next answer without one (another change) leaves the notice for copying.
  const kept = run(s, [parsed(mgmt(ADMIN_VIEW))]);
  assert.deepEqual(kept.repAdded, s.repAdded);
  // A refused request leaves it too.
  assert.deepEqual(run(manageSent(kept), [{ type: "error", kind: "bad_request", message: "No." }]).repAdded, s.repAdded);
  // Another account replaces it.
  const dave = run(kept, [parsed(mgmt(ADMIN_VIEW, { added: { user: "dave", password: "tr0ub4dor" } }))]);
  assert.deepEqual(dave.repAdded, { user: "dave", password: "tr0ub4dor" });
  // Dismissed, or the page closed (or swapped for the reports page): gone.
  assert.equal(dismissAdded(kept).repAdded, null);
  assert.equal(dismissAdded(kept).managing, true);
  assert.equal(closeManagement(kept).repAdded, null);
  assert.equal(openReports({ ...kept, reportsAllowed: true }).repAdded, null);
  // Losing the connection takes it too (see the next test).
  assert.equal(connectionLost(kept).repAdded, null);
  // A logged_in that takes the page away takes the notice too.
  assert.equal(run(kept, [parsed('{"type":"logged_in","name":"Ada"}')]).repAdded, null);
  assert.deepEqual(run(kept, [parsed('{"type":"logged_in","name":"Ada","admin":true}')]).repAdded, s.repAdded);
});

test("the one-time password outlives neither a lost connection nor a closed page", () => {
  const open = run(openManagement(login({ admin: true })), [parsed(mgmt(ADMIN_VIEW))]);
  const shown = run(manageSent(open), [parsed(ADDED)]);
  assert.deepEqual(shown.repAdded, { user: "carol", password: "correct-horse-battery" });

  // A lost connection (not a sign-out): the console and the page stay, the password goes.
  const lost = connectionLost(shown);
  assert.equal(lost.lost, true);
  assert.equal(lost.name, shown.name);
  assert.equal(lost.managing, true);
  assert.equal(lost.repAdded, null);
  assert.ok(!JSON.stringify(lost).includes("correct-horse-battery"), "nowhere in the state");

  // An answer with `added` that comes after the page closed is not kept, and reopening the page
  // does not show it.
  const closed = closeManagement(manageSent(open));
  const late = run(closed, [parsed(ADDED)]);
  assert.equal(late.managing, false);
  assert.equal(late.repAdded, null);
  assert.ok(!JSON.stringify(late).includes("correct-horse-battery"), "nowhere in the state");
  assert.deepEqual(late.management, ADMIN_VIEW, "the rest of the answer is kept");
  const reopened = run(openManagement(late), [parsed(mgmt(ADMIN_VIEW))]);
  assert.equal(reopened.managing, true);
  assert.equal(reopened.repAdded, null);
  // Also when the page was swapped for the reports page.
  const reports = run(openReports({ ...manageSent(open), reportsAllowed: true }), [parsed(ADDED)]);
  assert.equal(reports.repAdded, null);
  assert.equal(openManagement(reports).repAdded, null);

  // While the page is open, the notice still stays until dismissed.
  assert.deepEqual(run(shown, [parsed(mgmt(ADMIN_VIEW))]).repAdded, shown.repAdded);
  assert.equal(dismissAdded(shown).repAdded, null);
});

test("the reports page: open, ask, answer, errors, close", () => {
  const nobody = login({});
  assert.equal(openReports(nobody), nobody, "not without the right");
  assert.equal(openReports({ ...initialConsole(), reportsAllowed: true }).reporting, false, "not before logging in");

  let s = openReports(login({ reports: true }));
  assert.equal(s.reporting, true);
  assert.equal(s.report, null);
  s = reportSent(s);
  assert.equal(s.reportPending, true);
  s = run(s, [parsed(JSON.stringify({ type: "report", ...REPORT }))]);
  assert.equal(s.reportPending, false);
  assert.deepEqual(s.report, REPORT);
  assert.ok(!("type" in (s.report ?? {})), "the view, not the message");

  // Refused: on the page, not in the toast; the next answer clears it.
  s = run(reportSent(s), [{ type: "error", kind: "unauthorized", message: "an administrator has not allowed you to see reports" }]);
  assert.equal(s.reportError, "an administrator has not allowed you to see reports");
  assert.equal(s.alert, null);
  assert.equal(s.reportPending, false);
  assert.equal(reportSent(s).reportError, null);
  // An error nobody on the page asked for shows there and in the toast.
  const other = run(s, [{ type: "error", kind: "rate_limited", message: "Slow down." }]);
  assert.equal(other.reportError, "Slow down.");
  assert.equal(other.alert, "Slow down.");
  // A form the page refuses before sending.
  assert.equal(reportInvalid(s, "The first day is after the last.").reportError, "The first day is after the last.");

  assert.equal(connectionLost(reportSent(s)).reportPending, false);
  const closed = closeReports(s);
  assert.equal(closed.reporting, false);
  assert.equal(closed.report, null);
  assert.equal(closed.reportError, null);
  assert.equal(run(closed, [{ type: "error", kind: "bad_request", message: "No." }]).reportError, null);
  // Losing the right closes the page.
  assert.equal(run(s, [parsed('{"type":"logged_in","name":"Bob"}')]).reporting, false);
});

test("the two pages take turns", () => {
  const both = login({ admin: true, reports: true });
  const managing = openManagement(both);
  const reporting = openReports(managing);
  assert.equal(reporting.reporting, true);
  assert.equal(reporting.managing, false);
  assert.equal(reporting.managePending, false);
  const back = openManagement(reportSent(reporting));
  assert.equal(back.managing, true);
  assert.equal(back.reporting, false);
  assert.equal(back.reportPending, false);
  // A report answered while the page is closed is kept but shows nowhere.
  assert.deepEqual(run(both, [{ type: "report", ...REPORT }]).report, REPORT);
  assert.deepEqual(reportRequest({}), { type: "manage", op: "report" });
});
