// Every sample the Rust types wrote (src/generated/samples.ts) goes through the app's parser
// unchanged, and every message type is acted on by exactly the parts RECEIVED_BY names.
import assert from "node:assert/strict";
import { test } from "node:test";

import { initialConsole, consoleUpdate, type ConsoleState } from "../src/console";
import { initialPanel, panelUpdate, type PanelState } from "../src/session_panel";
import { customerUpdate, initialCustomer, type CustomerState } from "../src/customer";
import { clientSamples, portalSamples } from "../src/generated/samples";
import { PORTAL_TYPES, parsePortalMessage } from "../src/parse";
import { RECEIVED_BY, SENT_BY } from "../src/route";
import { initialViewer, viewerUpdate, type ViewerState } from "../src/viewer/viewer";
import type { PortalMessage } from "../src/wire";

test("every portal sample parses back to itself", () => {
  for (const sample of portalSamples) {
    const text = JSON.stringify(sample);
    assert.deepEqual(parsePortalMessage(text), JSON.parse(text), text);
  }
});

test("the samples cover every message type the app knows, and no other", () => {
  const received = new Set(portalSamples.map((m) => m.type));
  assert.deepEqual([...received].sort(), Object.keys(RECEIVED_BY).sort());
  assert.deepEqual([...PORTAL_TYPES].sort(), Object.keys(RECEIVED_BY).sort());
  const sent = new Set(clientSamples.map((m) => m.type));
  assert.deepEqual([...sent].sort(), Object.keys(SENT_BY).sort());
});

test("client samples are plain JSON", () => {
  for (const sample of clientSamples) {
    assert.deepEqual(JSON.parse(JSON.stringify(sample)), sample);
  }
});

/** A customer page with request 17 open and a console with request 17 taken, logged in. */
function customerWithRequest(): CustomerState {
  return {
    ...initialCustomer("acme"),
    request: 17,
    status: { state: "ringing" },
  };
}
/** ...with a panel asking for a ticket for code 012345678 and one on session 42. */
function consoleWithPane(): ConsoleState {
  const s = {
    ...initialConsole(),
    name: "Bob",
    panels: [
      initialPanel(1, "012345678", "Carol", null),
      { ...initialPanel(2, "555000111", "Grace", null), phase: "live" as const, session: 42 },
    ],
    nextPanel: 3,
  };
  const [next] = consoleUpdate(
    s,
    { type: "request_taken", request: 17, customer: "Frank", portal: "acme", chat_start: "web_chat" },
    0,
  );
  return next;
}
/** A specialist's page in session 42, waiting for the customer's computer. */
function viewerWaiting(): ViewerState {
  return { ...initialViewer("555123999", null), phase: "waiting", name: "Sam", session: 42, you: 5 };
}
/** A panel that presented its ticket for code 012345678, on session 42 from its joined. */
function panelConnecting(): PanelState {
  return { ...initialPanel(1, "012345678", "Carol", null), phase: "connecting", session: 42 };
}

test("each message type changes exactly the parts that receive it", () => {
  const byType = new Map<string, PortalMessage[]>();
  for (const m of portalSamples) byType.set(m.type, [...(byType.get(m.type) ?? []), m]);
  for (const [type, samples] of byType) {
    const audience = RECEIVED_BY[type as PortalMessage["type"]];
    const customerActs = samples.some((m) => {
      const before = customerWithRequest();
      return customerUpdate(before, m) !== before;
    });
    const consoleActs = samples.some((m) => {
      const before = consoleWithPane();
      return consoleUpdate(before, m, 1000)[0] !== before;
    });
    const panelActs = samples.some((m) => {
      const before = panelConnecting();
      return panelUpdate(before, m, 1000) !== before;
    });
    assert.equal(customerActs, audience.includes("customer"), `customer page and ${type}`);
    assert.equal(consoleActs, audience.includes("console"), `console and ${type}`);
    const viewerActs = samples.some((m) => {
      const before = viewerWaiting();
      return viewerUpdate(before, m) !== before;
    });
    assert.equal(panelActs, audience.includes("panel"), `session panel and ${type}`);
    assert.equal(viewerActs, audience.includes("viewer"), `browser viewer and ${type}`);
  }
});

test("malformed messages are refused", () => {
  for (const text of [
    "not json",
    "[]",
    "null",
    '{"version":1}',
    '{"type":"welcome"}',
    '{"type":"welcome","version":"1"}',
    '{"type":"redeemed","session":1}',
    '{"type":"codes","codes":[{"code":"012345678"}]}',
    '{"type":"request_status","request":1,"state":{"state":"flying"}}',
    '{"type":"request_status","request":1,"state":{"state":"waiting","reps_online":1,"position":"2"}}',
    '{"type":"portal","name":"a","title":"A","mode":"phone","chat_start":"web_chat","fields":[],"availability":"open","reps":[],"queue_length":0}',
  ]) {
    assert.equal(parsePortalMessage(text), null, text);
  }
});

test("an error of a newer kind keeps its message", () => {
  const msg = parsePortalMessage('{"type":"error","kind":"brand_new","message":"Try later."}');
  assert.deepEqual(msg, { type: "error", kind: "internal", message: "Try later." });
});

test("extra fields from a newer portal are tolerated", () => {
  const msg = parsePortalMessage('{"type":"welcome","version":1,"features":["x"]}');
  assert.equal(msg?.type, "welcome");
});
