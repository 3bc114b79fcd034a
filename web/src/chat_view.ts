// The Web Chat log and input, shared by the customer page and the console's request panes.
// Lines are appended as they arrive (the portal echoes the sender's own lines back, so a line
// is shown only once the portal sent it).

import { h } from "./h";

export interface ChatLineData {
  readonly name: string;
  readonly text: string;
  readonly fromCustomer: boolean;
}

export interface ChatLog {
  el: HTMLElement;
  /** Shows `lines`; only lines beyond those already shown are added. */
  render(lines: readonly ChatLineData[]): void;
}

export function chatLog(): ChatLog {
  const el = h("div", { class: "chat-log", testid: "chat-log", role: "log", "aria-live": "polite" });
  let shown = 0;
  return {
    el,
    render(lines) {
      if (lines.length < shown) {
        el.replaceChildren();
        shown = 0;
      }
      for (const line of lines.slice(shown)) {
        el.appendChild(
          h("div", { class: `chat-line ${line.fromCustomer ? "from-customer" : "from-rep"}` },
            h("span", { class: "who" }, `${line.name}: `),
            h("span", { class: "text" }, line.text)),
        );
      }
      if (lines.length > shown) el.scrollTop = el.scrollHeight;
      shown = lines.length;
    },
  };
}

export interface ChatForm {
  el: HTMLFormElement;
  input: HTMLInputElement;
}

/** An input and a Send button; Enter sends too. Empty lines are not sent. */
export function chatForm(send: (text: string) => void): ChatForm {
  const input = h("input", { type: "text", testid: "chat-input", maxlength: 2000, autocomplete: "off", "aria-label": "Your message", placeholder: "Type a message" });
  const el = h("form", { class: "chat-form", novalidate: true, on: { submit: (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (text === "") return;
    send(text);
    input.value = "";
    input.focus();
  } } },
    input,
    h("button", { type: "submit", testid: "chat-send" }, "Send"),
  );
  return { el, input };
}
