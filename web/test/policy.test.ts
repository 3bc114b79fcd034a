// Functions by policy: what the console offers (allows), team nesting on the management
// page, and the manage requests its controls send.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  FUNCTIONS,
  POWERS,
  accessRequest,
  addRepRequest,
  addTeamRequest,
  allows,
  allowsControl,
  allowsSpecialistControl,
  functionLabel,
  inForceText,
  indented,
  managesAfter,
  moveTeamRequest,
  newTeamParents,
  pageAccess,
  parentChoices,
  powerLabel,
  powersAfter,
  RECORDING_HINT,
  setTeamRequest,
  specialistChoices,
  subtree,
  teamChoices,
  teamDepths,
  teamOf,
  teamTree,
  toggleRequest,
  withheldAfter,
} from "../src/policy";
import { CHAT, CONTROL, VIEW } from "../src/rights";
import { rowButtons } from "../src/session_panel";
import type { AttendeeInfo, TeamView } from "../src/wire";

const ORDER = FUNCTIONS.map(([name]) => name);

function team(id: number, name: string, parent: number | null, withheld: string[] = []): TeamView {
  return { id, name, parent, withheld };
}

test("the functions, in display order, with their labels", () => {
  assert.deepEqual(ORDER, [
    "screen",
    "control",
    "files",
    "reboot",
    "clipboard",
    "chat",
    "invite_reps",
    "invite_specialists",
    "specialist_control",
    "unrecorded",
    "refuse_recording",
  ]);
  assert.deepEqual(ORDER.map(functionLabel), [
    "Screen sharing",
    "Remote control",
    "File transfer",
    "Reboot and reconnect",
    "Clipboard",
    "Chat",
    "Invite representatives",
    "Invite specialists",
    "Give specialists control",
    "Unrecorded sessions",
    "Customer may refuse recording",
  ]);
  assert.equal(functionLabel("teleport"), "teleport", "a newer portal's name shows as it is");
});

test("allows: null allows everything, a list only what it names", () => {
  assert.equal(allows(null, "files"), true);
  assert.equal(allows([], "files"), false);
  assert.equal(allows(["screen", "files"], "files"), true);
  assert.equal(allows(["screen", "files"], "reboot"), false);
  assert.equal(allowsControl(null), true);
  assert.equal(allowsControl(["control"]), false, "control needs screen sharing too");
  assert.equal(allowsControl(["screen", "control"]), true);
  assert.equal(allowsSpecialistControl(["screen", "control"]), false);
  assert.equal(allowsSpecialistControl(["screen", "specialist_control"]), false);
  assert.equal(allowsSpecialistControl(["screen", "control", "specialist_control"]), true);
});

test("the specialist rights offer control only when it may be given", () => {
  assert.deepEqual(specialistChoices(null).map(([bits]) => bits), [VIEW | CHAT, VIEW | CONTROL | CHAT]);
  assert.deepEqual(specialistChoices(["screen", "chat", "invite_specialists", "control"]).map(([bits]) => bits), [VIEW | CHAT]);
  assert.deepEqual(specialistChoices(["screen", "chat", "invite_specialists", "specialist_control"]).map(([bits]) => bits), [VIEW | CHAT]);
  assert.deepEqual(specialistChoices(ORDER).map(([bits]) => bits), [VIEW | CHAT, VIEW | CONTROL | CHAT]);
});

test("a specialist's row offers control only when it may be given", () => {
  const specialist: AttendeeInfo = { id: 5, name: "Sam", role: "specialist", rights: VIEW | CHAT, masked: false };
  const rep: AttendeeInfo = { ...specialist, id: 3, role: "representative" };
  assert.equal(rowButtons(specialist).grantControl, true);
  assert.equal(rowButtons(specialist, false).grantControl, false);
  assert.equal(rowButtons(specialist, false).remove, true);
  assert.equal(rowButtons({ ...specialist, rights: VIEW | CONTROL }, false).revokeControl, true, "taking it away stays");
  assert.equal(rowButtons(rep, false).grantControl, true, "an invited representative's own policy decides");
});

test("team depths follow the parents; a loop or a missing parent stops the walk", () => {
  const teams = [team(1, "Support", null), team(2, "Tier 1", 1), team(3, "Night", 2), team(4, "Sales", null)];
  assert.deepEqual([...teamDepths(teams)], [[1, 0], [2, 1], [3, 2], [4, 0]]);
  assert.deepEqual([...teamDepths([team(7, "Orphan", 99)])], [[7, 0]]);
  // 1 → 2 → 3 → 1: every walk ends where it would come round again.
  const loop = [team(1, "A", 3), team(2, "B", 1), team(3, "C", 2), team(4, "D", 2)];
  assert.deepEqual([...teamDepths(loop)], [[1, 2], [2, 2], [3, 2], [4, 3]]);
  assert.deepEqual([...teamDepths([team(5, "Self", 5)])], [[5, 0]]);
});

test("the team tree lists each team once, under its parent", () => {
  const teams = [team(3, "Night", 2), team(4, "Sales", null), team(2, "Tier 1", 1), team(1, "Support", null), team(5, "Day", 2)];
  assert.deepEqual(teamTree(teams).map(({ team: t, depth }) => [t.name, depth]), [
    ["Sales", 0],
    ["Support", 0],
    ["Tier 1", 1],
    ["Day", 2],
    ["Night", 2],
  ]);
  const loop = [team(1, "A", 2), team(2, "B", 1), team(3, "Top", null)];
  assert.deepEqual(teamTree(loop).map(({ team: t, depth }) => [t.name, depth]), [
    ["Top", 0],
    ["A", 0],
    ["B", 1],
  ]);
  assert.equal(indented("Night", 2), "\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0Night");
  assert.equal(indented("Top", 0), "Top");
});

test("a team cannot move under itself or its subteams", () => {
  const teams = [team(1, "Support", null), team(2, "Tier 1", 1), team(3, "Night", 2), team(4, "Sales", null)];
  assert.deepEqual([...subtree(teams, 1)].sort(), [1, 2, 3]);
  assert.deepEqual([...subtree(teams, 3)], [3]);
  assert.deepEqual([...subtree([team(1, "A", 2), team(2, "B", 1)], 1)].sort(), [1, 2], "a loop ends");
});

test("select values become team ids or null", () => {
  assert.equal(teamOf(""), null);
  assert.equal(teamOf("12"), 12);
  assert.equal(teamOf("x"), null);
  assert.equal(teamOf("-1"), null);
  assert.equal(teamOf("99999999999999999999"), null);
});

test("the team requests", () => {
  assert.deepEqual(addTeamRequest("  Tier 2 ", "1"), { type: "manage", op: "add_team", name: "Tier 2", parent: 1 });
  assert.deepEqual(addTeamRequest("Sales", ""), { type: "manage", op: "add_team", name: "Sales", parent: null });
  assert.equal(addTeamRequest("   ", "1"), null);
  assert.deepEqual(moveTeamRequest(2, ""), { type: "manage", op: "move_team", team: 2, parent: null });
  assert.deepEqual(moveTeamRequest(2, "4"), { type: "manage", op: "move_team", team: 2, parent: 4 });
  assert.deepEqual(setTeamRequest("bob", "2"), { type: "manage", op: "set_team", user: "bob", team: 2 });
  assert.deepEqual(setTeamRequest("bob", ""), { type: "manage", op: "set_team", user: "bob", team: null });
});

test("a checkbox sends its scope's whole new withheld list, in function order", () => {
  assert.deepEqual(withheldAfter(["reboot"], "files", false, ORDER), ["files", "reboot"]);
  assert.deepEqual(withheldAfter(["files", "reboot"], "files", true, ORDER), ["reboot"]);
  assert.deepEqual(withheldAfter(["files"], "files", false, ORDER), ["files"], "no duplicates");
  assert.deepEqual(withheldAfter([], "chat", true, ORDER), []);
  assert.deepEqual(toggleRequest({ kind: "team", team: 2 }, ["reboot"], "screen", false, ORDER), {
    type: "manage",
    op: "withhold",
    scope: { kind: "team", team: 2 },
    withheld: ["screen", "reboot"],
  });
  assert.deepEqual(toggleRequest({ kind: "rep", user: "bob" }, ["files", "control"], "files", true, ORDER), {
    type: "manage",
    op: "withhold",
    scope: { kind: "rep", user: "bob" },
    withheld: ["control"],
  });
  assert.deepEqual(toggleRequest({ kind: "portal", portal: "default" }, ["chat"], "chat", true, ORDER), {
    type: "manage",
    op: "withhold",
    scope: { kind: "portal", portal: "default" },
    withheld: [],
  });
});

test("what is in force, in words", () => {
  assert.equal(inForceText(["chat", "screen", "control"], ORDER), "Screen sharing, Remote control and Chat");
  assert.equal(inForceText([], ORDER), "nothing");
  assert.equal(inForceText(["teleport", "screen"], ORDER), "Screen sharing and teleport");
  assert.equal(inForceText([...ORDER], ORDER), "Everything");
  assert.equal(
    inForceText(ORDER.filter((f) => f !== "control" && f !== "files"), ORDER),
    "Everything but Remote control and File transfer",
  );  // The recording functions count like the others: withheld, they are what "but" names.
  assert.equal(inForceText(ORDER.filter((f) => f !== "unrecorded"), ORDER), "Everything but Unrecorded sessions");
  assert.equal(
    inForceText(ORDER.filter((f) => f !== "unrecorded" && f !== "refuse_recording" && f !== "control"), ORDER),
    "Everything but Remote control, Unrecorded sessions and Customer may refuse recording",
  );
  // An older portal's list without them: everything it names is everything.
  const older = ORDER.filter((f) => f !== "unrecorded" && f !== "refuse_recording");
  assert.equal(inForceText(older, older), "Everything");
});

test("the recording functions' hint names both boxes by their labels", () => {
  assert.ok(RECORDING_HINT.includes(`“${functionLabel("unrecorded")}”`));
  assert.ok(RECORDING_HINT.includes(`“${functionLabel("refuse_recording")}”`));
  assert.deepEqual(withheldAfter(["refuse_recording"], "unrecorded", false, ORDER), ["unrecorded", "refuse_recording"]);
  assert.deepEqual(toggleRequest({ kind: "portal", portal: "default" }, ["unrecorded"], "unrecorded", true, ORDER), {
    type: "manage",
    op: "withhold",
    scope: { kind: "portal", portal: "default" },
    withheld: [],
  });
});

// ----- tiered access: what the management page offers whom -----

const TEAMS = [team(1, "Support", null), team(2, "Tier 1", 1), team(3, "Night", 2), team(4, "Sales", null)];
const ADMIN = pageAccess({ you: "admin", powers: [] });
const MANAGER = pageAccess({ you: "manager", powers: ["change_functions", "add_reps"] });
const VIEWER = pageAccess({ you: "manager", powers: ["view_reports"] });

test("the powers, in display order, with their labels", () => {
  assert.deepEqual(POWERS, [
    ["add_reps", "Add representatives"],
    ["change_functions", "Change teams and functions"],
    ["view_reports", "See their teams' reports"],
    ["own_reports", "See own reports"],
  ]);
  assert.equal(powerLabel("view_reports"), "See their teams' reports");
  assert.equal(powerLabel("fly"), "fly");
});

test("page access: administrators everything, managers what their powers say", () => {
  assert.deepEqual(ADMIN, { admin: true, changeFunctions: true, addReps: true }, "an administrator's powers list does not matter");
  assert.deepEqual(MANAGER, { admin: false, changeFunctions: true, addReps: true });
  assert.deepEqual(VIEWER, { admin: false, changeFunctions: false, addReps: false }, "read-only, no form");
  assert.deepEqual(pageAccess({ you: "manager", powers: ["add_reps"] }), { admin: false, changeFunctions: false, addReps: true });
});

test("team choices: no team and the top level for administrators only", () => {
  const values = (choices: { value: string }[] | null): string[] | null => choices?.map((c) => c.value) ?? null;
  assert.deepEqual(values(teamChoices(TEAMS, ADMIN)), ["", "4", "1", "2", "3"]);
  assert.equal(teamChoices(TEAMS, ADMIN)[0]?.label, "(no team)");
  assert.deepEqual(values(teamChoices(TEAMS, MANAGER)), ["4", "1", "2", "3"]);
  assert.equal(teamChoices(TEAMS, MANAGER)[3]?.label, indented("Night", 2));
  assert.deepEqual(values(newTeamParents(TEAMS, ADMIN)), ["", "4", "1", "2", "3"]);
  assert.equal(newTeamParents(TEAMS, ADMIN)[0]?.label, "(top level)");
  assert.deepEqual(values(newTeamParents(TEAMS, MANAGER)), ["4", "1", "2", "3"]);
  // A team row's parent: never itself or below it.
  assert.deepEqual(values(parentChoices(TEAMS, team(2, "Tier 1", 1), ADMIN)), ["", "4", "1"]);
  assert.deepEqual(values(parentChoices(TEAMS, team(1, "Support", null), ADMIN)), ["", "4"]);
  // A manager sees Support (1) and below; Support itself stays where it is.
  const mine = TEAMS.slice(0, 3);
  assert.equal(parentChoices(mine, team(1, "Support", null), MANAGER), null);
  assert.equal(parentChoices(mine, team(1, "Support", 9), MANAGER), null, "its parent is not theirs");
  assert.deepEqual(values(parentChoices(mine, team(3, "Night", 2), MANAGER)), ["1", "2"]);
  assert.deepEqual(values(parentChoices(mine, team(2, "Tier 1", 1), MANAGER)), ["1"]);
});

test("manager settings send the member's full new lists", () => {
  assert.deepEqual(managesAfter([3, 1], 2, true), [1, 2, 3]);
  assert.deepEqual(managesAfter([1, 2], 2, false), [1]);
  assert.deepEqual(managesAfter([1], 1, true), [1], "no duplicates");
  assert.deepEqual(managesAfter([], 5, false), []);
  assert.deepEqual(powersAfter(["own_reports"], "add_reps", true), ["add_reps", "own_reports"]);
  assert.deepEqual(powersAfter(["add_reps", "view_reports"], "add_reps", false), ["view_reports"]);
  assert.deepEqual(powersAfter(["zap", "own_reports"], "change_functions", true), ["change_functions", "own_reports", "zap"]);
  assert.deepEqual(accessRequest("bob", managesAfter([], 2, true), powersAfter([], "own_reports", true)), {
    type: "manage",
    op: "set_access",
    user: "bob",
    manages: [2],
    powers: ["own_reports"],
  });
  assert.deepEqual(accessRequest("mia", [], []), { type: "manage", op: "set_access", user: "mia", manages: [], powers: [] });
});

test("the add-representative form's request, or what is wrong", () => {
  assert.deepEqual(addRepRequest("carol", "Carol Jones", "", ADMIN), { type: "manage", op: "add_rep", user: "carol", name: "Carol Jones", team: null });
  assert.deepEqual(addRepRequest(" carol.j@x ", " Carol ", "2", MANAGER), { type: "manage", op: "add_rep", user: "carol.j@x", name: "Carol", team: 2 });
  assert.equal(addRepRequest("carol", "Carol", "", MANAGER), "Choose one of your teams for the new representative.");
  assert.equal(addRepRequest("  ", "Carol", "2", ADMIN), "Enter a user name for the new representative.");
  assert.equal(addRepRequest("carol jones", "Carol", "2", ADMIN), "A user name has 1 to 64 letters, digits, dots, dashes, underscores or @.");
  assert.equal(typeof addRepRequest("x".repeat(65), "Carol", "2", ADMIN), "string");
  assert.equal(typeof addRepRequest("x".repeat(64), "Carol", "2", ADMIN), "object");
  assert.equal(addRepRequest("carol", " ", "2", ADMIN), "Enter the name customers will see.");
});
