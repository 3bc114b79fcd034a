// The browser's link to the customer's agent: the same four channels as the native viewer
// (transport/src/lib.rs), either as WebRTC data channels (the agent offers, we answer with
// every candidate gathered, no trickle) or, when no direct path opens, over the portal's relay
// WebSocket (transport/src/relay.rs: binary messages `[channel byte][payload]`, text "paired"
// once both ends are there). Both deliver whole messages in order per channel.

/** The channels, in relay byte order (0 control, 1 input, 2 frames, 3 files). */
export const CHANNELS = ["control", "input", "frames", "files"] as const;
export type ChannelName = (typeof CHANNELS)[number];

export type LinkPath = "direct" | "relay";

export interface LinkHandlers {
  /** All four channels are open (direct) or the relay paired. */
  open(path: LinkPath): void;
  /** One whole message. The buffer is ours to keep or transfer. */
  message(channel: ChannelName, data: ArrayBuffer): void;
  /** The link is gone; words for a person. Called at most once. */
  closed(why: string): void;
}

/** How long ICE gathering may take before the answer goes out with what was gathered. */
const GATHER_DEADLINE_MS = 5000;
/** Bytes a channel may hold unsent before we stop adding input (tiny messages; a stuck link). */
const MAX_BUFFERED = 1024 * 1024;

export interface Link {
  readonly path: LinkPath;
  /** Sends one message; false when the link is closed or clogged (the message is dropped). */
  send(channel: ChannelName, bytes: Uint8Array): boolean;
  /** Bytes queued on `channel` and not yet sent (bulk senders wait on it). */
  buffered(channel: ChannelName): number;
  close(): void;
}

/**
 * Answers the agent's offer. Returns the answer SDP (to send through the portal) and the
 * link, whose handlers fire once the channels open.
 */
export async function answerOffer(
  offerSdp: string,
  handlers: LinkHandlers,
): Promise<{ answer: string; link: Link }> {
  // No STUN/TURN: the agent gathers host candidates, and the portal's relay is the fallback.
  const pc = new RTCPeerConnection({ iceServers: [] });
  const channels = new Map<ChannelName, RTCDataChannel>();
  let done = false;
  const finish = (why: string): void => {
    if (done) return;
    done = true;
    pc.close();
    handlers.closed(why);
  };
  pc.addEventListener("datachannel", (event) => {
    const dc = event.channel;
    const name = CHANNELS.find((c) => c === dc.label);
    if (name === undefined) return; // a newer agent's channel
    dc.binaryType = "arraybuffer";
    channels.set(name, dc);
    dc.addEventListener("message", (e: MessageEvent<unknown>) => {
      if (e.data instanceof ArrayBuffer) handlers.message(name, e.data);
    });
    dc.addEventListener("close", () => finish(`${name} channel closed`));
    const opened = (): void => {
      if (!done && channels.size === CHANNELS.length && [...channels.values()].every((c) => c.readyState === "open")) {
        handlers.open("direct");
      }
    };
    if (dc.readyState === "open") opened();
    else dc.addEventListener("open", opened);
  });
  // The handshake's steps, for the first-frame timeline (performance marks).
  pc.addEventListener("iceconnectionstatechange", () => performance.mark(`tandem:ice-${pc.iceConnectionState}`));
  pc.addEventListener("connectionstatechange", () => performance.mark(`tandem:pc-${pc.connectionState}`));
  pc.addEventListener("connectionstatechange", () => {
    if (pc.connectionState === "failed" || pc.connectionState === "closed") {
      finish(`connection ${pc.connectionState}`);
    }
  });
  let answer: string | undefined;
  try {
    await pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    answer = pc.localDescription?.sdp;
    if (answer === undefined) throw new Error("no answer could be made");
  } catch (e) {
    done = true;
    pc.close();
    throw e;
  }
  const link: Link = {
    path: "direct",
    send(channel, bytes) {
      const dc = channels.get(channel);
      if (done || dc === undefined || dc.readyState !== "open" || dc.bufferedAmount > MAX_BUFFERED) {
        return false;
      }
      dc.send(bytes as Uint8Array<ArrayBuffer>);
      return true;
    },
    buffered(channel) {
      return channels.get(channel)?.bufferedAmount ?? 0;
    },
    close() {
      done = true;
      pc.close();
    },
  };
  return { answer, link };
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, GATHER_DEADLINE_MS);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** ws:// or wss:// to the portal's relay for `token`, on the page's own host. */
export function relayUrl(loc: { protocol: string; host: string }, token: string): string {
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}/relay/${encodeURIComponent(token)}`;
}

/** Connects to the portal's relay with a one-use token. */
export function connectRelay(token: string, handlers: LinkHandlers): Link {
  const socket = new WebSocket(relayUrl(location, token));
  socket.binaryType = "arraybuffer";
  let paired = false;
  let done = false;
  const finish = (why: string): void => {
    if (done) return;
    done = true;
    socket.close();
    handlers.closed(why);
  };
  socket.addEventListener("message", (e: MessageEvent<unknown>) => {
    if (typeof e.data === "string") {
      if (e.data === "paired" && !paired) {
        paired = true;
        handlers.open("relay");
      }
      return;
    }
    if (!(e.data instanceof ArrayBuffer) || e.data.byteLength === 0) return;
    const channel = CHANNELS[new Uint8Array(e.data, 0, 1)[0] ?? 255];
    if (channel === undefined) return; // a newer agent's channel
    handlers.message(channel, e.data.slice(1));
  });
  socket.addEventListener("close", () => finish("the relay closed"));
  socket.addEventListener("error", () => finish("the relay failed"));
  return {
    path: "relay",
    send(channel, bytes) {
      if (done || !paired || socket.bufferedAmount > MAX_BUFFERED) return false;
      const out = new Uint8Array(bytes.length + 1);
      out[0] = CHANNELS.indexOf(channel);
      out.set(bytes, 1);
      socket.send(out);
      return true;
    },
    // One socket carries every channel: its queue is what a bulk sender waits on.
    buffered() {
      return socket.bufferedAmount;
    },
    close() {
      done = true;
      socket.close();
    },
  };
}
