import assert from "node:assert/strict";
import { test } from "node:test";

import { CHAT, CLIPBOARD, CONTROL, FILES, INVITE_RIGHTS, REBOOT, VIEW, rightsChoice, rightsInWords, roleInWords } from "../src/rights";
import {
  activeSessions,
  consentOf,
  endSent,
  filterReps,
  initialPanel,
  mayAct,
  maySaveNotes,
  notesSent,
  panelLost,
  panelStatus,
  panelUpdate,
  portalsOf,
  requestClosed,
  rowButtons,
  ticketUsed,
  type PanelState,
} from "../src/session_panel";
import type { AttendeeInfo, PortalMessage, RepPresence } from "../src/wire";

function run(p: PanelState, msgs: PortalMessage[], now = 0): PanelState {
  return msgs.reduce((s, m) => panelUpdate(s, m, now), p);
}

const opening = (): PanelState => ticketUsed(initialPanel(1, "012345678", "Carol", null));
const joined: PortalMessage = { type: "joined", session: 42, you: 2, customer: "carol@laptop", rights: 31 };
const live = (): PanelState => run(opening(), [joined]);

function attendee(id: number, role: AttendeeInfo["role"], rights: number, masked = false): AttendeeInfo {
  return { id, name: `A${id}`, role, rights, masked };
}

test("rights and roles in words", () => {
  assert.equal(rightsInWords(VIEW | CONTROL | CHAT), "sees the screen, controls, chats");
  assert.equal(rightsInWords(VIEW | CHAT), "sees the screen, chats");
  assert.equal(rightsInWords(31), "sees the screen, controls, chats, transfers files, may restart the computer");
  assert.equal(rightsInWords(FILES | REBOOT), "transfers files, may restart the computer");
  assert.equal(rightsInWords(VIEW | CONTROL | CLIPBOARD), "sees the screen, controls, may use the clipboard");
  assert.equal(rightsInWords(63), "sees the screen, controls, chats, transfers files, may restart the computer, may use the clipboard");
  assert.equal(rightsInWords(0), "no rights");
  assert.equal(rightsInWords(64), "no rights", "unknown bits are never named");
  assert.equal(roleInWords("host"), "Host");
  assert.equal(roleInWords("representative"), "Representative");
  assert.equal(roleInWords("specialist"), "External specialist");
  assert.equal(roleInWords("customer"), "Customer");
  assert.deepEqual(INVITE_RIGHTS.map(([bits]) => bits), [5, 7]);
  assert.equal(rightsChoice("7"), 7);
  assert.equal(rightsChoice("5"), 5);
  assert.equal(rightsChoice("31"), 5, "only the offered choices");
  assert.equal(rightsChoice(""), 5);
});

test("which buttons an attendee's row gets", () => {
  const none = { grantControl: false, revokeControl: false, remove: false };
  assert.deepEqual(rowButtons(attendee(2, "host", 31)), none, "the host is not managed");
  assert.deepEqual(rowButtons(attendee(1, "customer", 31)), none);
  assert.deepEqual(rowButtons(attendee(3, "representative", VIEW | CHAT)), { grantControl: true, revokeControl: false, remove: true });
  assert.deepEqual(rowButtons(attendee(4, "representative", VIEW | CONTROL, true)), { grantControl: false, revokeControl: true, remove: true });
  assert.deepEqual(rowButtons(attendee(5, "specialist", VIEW | CONTROL | CHAT)), { grantControl: false, revokeControl: true, remove: true });
  assert.deepEqual(rowButtons(attendee(6, "specialist", CONTROL)), { grantControl: false, revokeControl: true, remove: true });
});

test("a panel waits, joins, and follows the session", () => {
  let p = initialPanel(1, "012345678", "Carol", 17);
  assert.equal(p.phase, "ticket");
  assert.equal(panelStatus(p, 0), "Opening the session…");
  p = ticketUsed(p);
  assert.equal(p.phase, "connecting");
  p = run(p, [{ type: "panel_waiting", code: "999999999" }]);
  assert.equal(p.phase, "connecting", "another code's waiting is not ours");
  p = run(p, [{ type: "panel_waiting", code: "012345678" }]);
  assert.equal(p.phase, "waiting");
  assert.equal(panelStatus(p, 0), "Waiting for the customer to start the customer app…");
  assert.ok(!mayAct(p));
  assert.ok(!maySaveNotes(p));

  p = run(p, [joined]);
  assert.equal(p.phase, "live");
  assert.equal(p.session, 42);
  assert.equal(p.customer, "carol@laptop");
  assert.equal(panelStatus(p, 0), "Customer connected");
  assert.ok(mayAct(p));

  p = run(p, [
    { type: "roster", attendees: [attendee(2, "host", 31), attendee(3, "representative", 5)] },
    { type: "chat", from: 1, name: "carol@laptop", text: "Hi", reps_only: false },
    { type: "chat", from: 3, name: "A3", text: "Psst", reps_only: true },
    { type: "consent", attendee: 3, allowed: 1 },
    { type: "consent", attendee: 3, allowed: 5 },
    { type: "invitation_answered", invitation: 7, by: "Alice", accepted: true },
  ]);
  assert.deepEqual(p.attendees.map((a) => a.id), [2, 3]);
  assert.deepEqual(p.chat, [
    { from: 1, name: "carol@laptop", text: "Hi", repsOnly: false },
    { from: 3, name: "A3", text: "Psst", repsOnly: true },
  ]);
  assert.equal(consentOf(p, 3), 5, "the latest consent counts");
  assert.equal(consentOf(p, 2), null);
  assert.equal(p.notice, "Alice accepted the invitation.");
  assert.equal(run(p, [{ type: "invitation_answered", invitation: 8, by: "Dave", accepted: false }]).notice, "Dave declined the invitation.");

  p = run(p, [{ type: "customer_away", reason: "gone", wait_secs: 120 }], 10_000);
  assert.equal(panelStatus(p, 10_000), "The customer's computer is restarting or away; waiting for it (2:00 left)…");
  assert.equal(panelStatus(p, 40_000), "The customer's computer is restarting or away; waiting for it (1:30 left)…");
  p = run(p, [{ type: "customer_back" }]);
  assert.equal(p.away, null);
  assert.equal(panelStatus(p, 0), "Customer connected");

  p = run(p, [{ type: "session_ended", reason: "The customer ended the session." }]);
  assert.equal(p.phase, "ended");
  assert.equal(panelStatus(p, 0), "Session ended: The customer ended the session.");
  assert.ok(!mayAct(p));
  assert.ok(maySaveNotes(p), "notes are saved after the end");
  assert.equal(run(p, [joined]).phase, "ended", "an ended panel stays ended");
});

test("reps, specialists, notes and errors", () => {
  const reps: RepPresence[] = [
    { user: "alice", name: "Alice Jones", portal: "acme", active_sessions: 1 },
    { user: "dave", name: "Dave", portal: "default", active_sessions: 0 },
    { user: "erin", name: "Erin", portal: "acme", active_sessions: 2 },
  ];
  let p = run(live(), [{ type: "reps", reps }]);
  assert.equal(p.reps?.length, 3);
  assert.deepEqual(filterReps(reps, "").map((r) => r.user), ["alice", "dave", "erin"]);
  assert.deepEqual(filterReps(reps, " ACME ").map((r) => r.user), ["alice", "erin"]);
  assert.deepEqual(filterReps(reps, "dav").map((r) => r.user), ["dave"]);
  assert.deepEqual(filterReps(reps, "nobody"), []);
  assert.deepEqual(portalsOf(reps), ["acme", "default"]);
  assert.equal(activeSessions(1), "1 active session");
  assert.equal(activeSessions(0), "0 active sessions");

  const invited: PortalMessage = { type: "specialist_invited", key: "555123999", join_url: "https://h/join/555123999", email: "Hello", rights: 7 };
  p = run(p, [invited, invited]);
  assert.equal(p.specialists.length, 1, "one box per key");
  p = run(p, [{ type: "specialist_invitation_cancelled", key: "555123999" }]);
  assert.equal(p.specialists[0]?.cancelled, true);

  p = notesSent(p);
  assert.equal(p.notesStatus, "Saving…");
  assert.equal(run(p, [{ type: "notes_saved", session: 41 }]).notesStatus, "Saving…", "another session's notes");
  const saved = run(p, [{ type: "notes_saved", session: 42 }]);
  assert.equal(saved.notesStatus, "Notes saved");
  const refused = run(p, [{ type: "error", kind: "session_gone", message: "no session of yours has that number" }]);
  assert.equal(refused.error, "no session of yours has that number");
  assert.equal(refused.notesStatus, null);
  assert.equal(refused.phase, "live", "an error in a live session keeps it");
});

test("a panel that cannot open, ends, is lost or loses its request", () => {
  const bad = run(opening(), [{ type: "error", kind: "unauthorized", message: "this panel's ticket is unknown" }]);
  assert.equal(bad.phase, "failed");
  assert.equal(panelStatus(bad, 0), "The session could not be opened.");
  assert.equal(bad.error, "this panel's ticket is unknown");

  const ended = endSent(live());
  assert.equal(ended.phase, "ended");
  assert.equal(panelStatus(ended, 0), "Session ended: The representative ended the session.");

  const lost = panelLost(live());
  assert.ok(!mayAct(lost));
  assert.match(panelStatus(lost, 0), /connection to this session was lost/);

  const waiting = run(opening(), [{ type: "panel_waiting", code: "012345678" }]);
  assert.equal(requestClosed(waiting).phase, "ended");
  assert.equal(panelStatus(requestClosed(waiting), 0), "Session ended: The request was closed.");
  assert.equal(requestClosed(live()).phase, "live", "a running session outlives its request");
});
