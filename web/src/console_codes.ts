// The console's codes view: create a code for a customer, and one row per active code with
// its live countdown, copy buttons, email invitation, its session panel and cancel. Rows are kept by code, so a
// re-sent list never wipes an email address being typed.

import { codeCountdown, type ConsoleState, type Timed } from "./console";
import { groupDigits } from "./format";
import { field, h, setText, show } from "./h";
import type { CodeInfo } from "./wire";

export interface CodeActions {
  /** `portal` null: the portal the console logged in on. */
  create(customer: string, portal: string | null): void;
  copy(text: string, what: string): void;
  email(code: string, to: string, language: string): void;
  cancel(code: string): void;
  /** Opens the session panel of the code (it waits for the customer until they start). */
  openSession(code: string, customer: string): void;
}

interface Row {
  el: HTMLElement;
  countdown: HTMLElement;
  customer: HTMLElement;
  portal: HTMLElement;
  info: CodeInfo;
}

export const INVITATION_LANGUAGES: ReadonlyArray<[string, string]> = [
  ["en", "English"],
  ["de", "Deutsch"],
];

export class CodesView {
  readonly el: HTMLElement;
  private readonly list = h("div", { class: "code-list", testid: "code-list" });
  private readonly status = h("p", { class: "status-line", testid: "code-status", role: "status", hidden: true });
  private readonly empty = h("p", { class: "muted" }, "No active codes.");
  private readonly rows = new Map<string, Row>();
  private readonly portal: HTMLInputElement;
  /** The codes last drawn, for the countdowns. */
  private timed: readonly Timed<CodeInfo>[] = [];

  constructor(private readonly actions: CodeActions) {
    const customer = h("input", { type: "text", testid: "code-customer", maxlength: 200, placeholder: "Customer's name" });
    // The code's portal: the one logged in on unless changed (a SmartPin page takes only
    // its own portal's codes).
    this.portal = h("input", { type: "text", testid: "code-portal", maxlength: 40, placeholder: "default" });
    const form = h("form", { class: "inline", novalidate: true, on: { submit: (e) => {
      e.preventDefault();
      const name = customer.value.trim();
      if (name === "") {
        customer.focus();
        return;
      }
      const portal = this.portal.value.trim();
      this.actions.create(name, portal === "" ? null : portal);
      customer.value = "";
    } } },
      field("Customer", customer),
      field("Portal", this.portal),
      h("button", { type: "submit", testid: "code-create" }, "Create code"),
    );
    this.el = h("section", { class: "card codes", "aria-labelledby": "codes-title" },
      h("h2", { id: "codes-title" }, "Codes"),
      form,
      this.status,
      this.empty,
      this.list,
    );
  }

  /** Shows a result or error of a code operation. */
  setStatus(text: string | null): void {
    show(this.status, text !== null);
    setText(this.status, text ?? "");
  }

  render(s: ConsoleState, nowMs: number): void {
    this.portal.placeholder = s.portal ?? "default";
    this.setStatus(s.codeStatus);
    show(this.empty, s.codes.length === 0);
    const wanted = new Set(s.codes.map((c) => c.value.code));
    for (const [code, row] of this.rows) {
      if (!wanted.has(code)) {
        row.el.remove();
        this.rows.delete(code);
      }
    }
    let before: Element | null = this.list.firstElementChild;
    for (const c of s.codes) {
      let row = this.rows.get(c.value.code);
      if (row === undefined) {
        row = this.buildRow(c.value);
        this.rows.set(c.value.code, row);
      }
      row.info = c.value;
      setText(row.customer, c.value.customer);
      setText(row.portal, c.value.portal);
      if (row.el !== before) this.list.insertBefore(row.el, before);
      before = row.el.nextElementSibling;
    }
    this.timed = s.codes;
    this.tick(nowMs);
  }

  /** Advances the countdowns to `nowMs`. */
  tick(nowMs: number): void {
    for (const c of this.timed) {
      const row = this.rows.get(c.value.code);
      if (row === undefined) continue;
      const text = codeCountdown(c, nowMs);
      setText(row.countdown, text);
      row.el.classList.toggle("expired", text === "expired");
    }
  }

  private buildRow(info: CodeInfo): Row {
    const countdown = h("span", { class: "countdown", testid: "countdown", title: "Time left" });
    const customer = h("span", { class: "customer" });
    const portal = h("span", { class: "muted" });
    const to = h("input", { type: "email", testid: "email-to", placeholder: "customer@example.com", maxlength: 254, "aria-label": "Customer's email address" });
    const language = h("select", { testid: "email-language", "aria-label": "Invitation language" },
      ...INVITATION_LANGUAGES.map(([value, label]) => h("option", { value }, label)));
    const row: Row = {
      el: h("div", { class: "code-row", testid: "code-row", "data-code": info.code }),
      countdown,
      customer,
      portal,
      info,
    };
    const emailForm = h("form", { class: "inline", novalidate: true, on: { submit: (e) => {
      e.preventDefault();
      const address = to.value.trim();
      if (!/^[^\s@]+@[^\s@]+$/.test(address)) {
        this.setStatus("Please enter the customer's email address.");
        to.focus();
        return;
      }
      this.actions.email(row.info.code, address, language.value);
    } } },
      to,
      language,
      h("button", { type: "submit", testid: "email-send" }, "Email invitation"),
    );
    row.el.append(
      h("div", { class: "code-head" },
        h("strong", { class: "code", testid: "code-digits" }, groupDigits(info.code)),
        " ", customer, " ", portal, " ", countdown),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", testid: "copy-url", on: { click: () => this.actions.copy(row.info.join_url, "Link") } }, "Copy link"),
        h("button", { type: "button", class: "secondary", testid: "copy-text", on: { click: () => this.actions.copy(row.info.invitation, "Invitation") } }, "Copy invitation"),
        h("button", { type: "button", class: "secondary", testid: "open-session", on: { click: () => this.actions.openSession(row.info.code, row.info.customer) } }, "Session"),
        h("button", { type: "button", class: "danger", testid: "cancel-code", on: { click: () => this.actions.cancel(row.info.code) } }, "Cancel code")),
      emailForm,
    );
    return row;
  }
}
