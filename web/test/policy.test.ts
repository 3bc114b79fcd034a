// Functions by policy: what the console offers (allows), team nesting on the management
// page, and the manage requests its controls send.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  FUNCTIONS,
  addTeamRequest,
  allows,
  allowsControl,
  allowsSpecialistControl,
  functionLabel,
  inForceText,
  indented,
  moveTeamRequest,
  setTeamRequest,
  specialistChoices,
  subtree,
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
    "chat",
    "invite_reps",
    "invite_specialists",
    "specialist_control",
  ]);
  assert.deepEqual(ORDER.map(functionLabel), [
    "Screen sharing",
    "Remote control",
    "File transfer",
    "Reboot and reconnect",
    "Chat",
    "Invite representatives",
    "Invite specialists",
    "Give specialists control",
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
  assert.equal(inForceText(["chat", "screen", "control"], ORDER), "Screen sharing, Remote control, Chat");
  assert.equal(inForceText([], ORDER), "nothing");
  assert.equal(inForceText(["teleport", "screen"], ORDER), "Screen sharing, teleport");
});
