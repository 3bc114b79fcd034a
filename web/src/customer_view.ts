// The customer portal page (`/p/<name>`): draws CustomerState and forwards what the customer
// does. The form is built once per portal layout so that re-sent `portal` messages (people
// logging in, the queue moving) never wipe what the customer is typing.

import {
  appNeededSentence,
  checkCode,
  checkForm,
  connectionLost,
  customerUpdate,
  etaSentence,
  initialCustomer,
  joinPath,
  maxLength,
  mayWithdraw,
  NO_PORTAL,
  requestSent,
  statusSentence,
  unavailableReason,
  withdrawn,
  type CustomerState,
} from "./customer";
import { groupDigits } from "./format";
import { field, h, replace, setText, show } from "./h";
import { chatLog, chatForm } from "./chat_view";
import { CONNECTION_LOST, Connection } from "./ws";
import type { ClientMessage, FieldSpec, PortalPage, RequestState } from "./wire";

export function startCustomerPage(root: HTMLElement, portal: string): void {
  new CustomerPage(root, portal);
}

class CustomerPage {
  private state: CustomerState;
  private readonly conn: Connection;
  private readonly lostBanner = h("div", { class: "banner", testid: "connection-lost", role: "alert", hidden: true }, CONNECTION_LOST);
  private readonly errorBanner = h("div", { class: "banner notice", testid: "page-error", role: "alert", hidden: true });
  private readonly title = h("h1", { testid: "portal-title" }, "Support");
  private readonly loading = h("p", { class: "muted", testid: "loading" }, "Loading…");
  private readonly noPortal = h("section", { class: "card", testid: "no-portal", hidden: true }, h("p", null, NO_PORTAL));
  private readonly unavailable = h("p", { class: "card notice", testid: "unavailable", hidden: true });
  private readonly formArea = h("div");
  private readonly requestArea = h("section", { class: "card", hidden: true });
  private readonly chat = chatLog();
  private readonly chatSend: ReturnType<typeof chatForm>;
  private readonly chatArea: HTMLElement;
  private formKey = "";
  private form: RequestForm | null = null;
  private shownStatus: RequestState | null = null;

  constructor(root: HTMLElement, portal: string) {
    this.state = initialCustomer(portal);
    this.chatSend = chatForm((text) => {
      if (this.state.request !== null) this.conn.send({ type: "web_chat", request: this.state.request, text });
    });
    this.chatArea = h("section", { class: "card chat", hidden: true }, h("h2", null, "Chat"), this.chat.el, this.chatSend.el);
    replace(
      root,
      h("div", { class: "page customer" },
        this.lostBanner,
        this.errorBanner,
        h("header", null, this.title),
        h("main", null, this.loading, this.noPortal, this.unavailable, this.formArea, this.requestArea, this.chatArea),
      ),
    );
    this.conn = new Connection({
      message: (msg) => this.apply(customerUpdate(this.state, msg)),
      closed: () => this.apply(connectionLost(this.state)),
    });
    this.conn.send({ type: "open_portal", portal });
    window.addEventListener("pagehide", () => this.conn.close());
  }

  private apply(next: CustomerState): void {
    this.state = next;
    this.render();
  }

  private render(): void {
    const s = this.state;
    show(this.lostBanner, s.lost);
    show(this.errorBanner, s.error !== null && !s.lost);
    setText(this.errorBanner, s.error ?? "");
    show(this.loading, s.page === null && !s.noPortal && !s.lost);
    show(this.noPortal, s.noPortal);
    if (s.noPortal) {
      setText(this.title, "Support");
      document.title = "Tandem";
    }
    const page = s.page;
    if (page !== null && !s.noPortal) {
      setText(this.title, page.title);
      document.title = page.title;
    }
    const active = s.status !== null || s.sending;
    const reason = page === null || s.noPortal ? null : unavailableReason(page);
    show(this.unavailable, reason !== null && !active && !s.noPortal);
    setText(this.unavailable, reason ?? "");
    this.renderForm(page !== null && !s.noPortal && reason === null && s.status === null ? page : null);
    this.renderRequest();
    this.renderChat();
  }

  private renderForm(page: PortalPage | null): void {
    if (page === null) {
      show(this.formArea, false);
      return;
    }
    show(this.formArea, true);
    const key = JSON.stringify([page.mode, page.fields]);
    if (key !== this.formKey || this.form === null) {
      this.formKey = key;
      this.form = buildForm(page, (request) => {
        this.conn.send(request);
        this.apply(requestSent(this.state));
      }, this.state.portal);
      replace(this.formArea, this.form.el);
    }
    this.form.update(page, this.state);
  }

  private renderRequest(): void {
    const s = this.state;
    show(this.requestArea, s.status !== null);
    if (s.status === null || s.status === this.shownStatus) return;
    this.shownStatus = s.status;
    const status = s.status;
    const parts: HTMLElement[] = [h("p", { class: "status", testid: "request-state", role: "status" }, statusSentence(status, s.repName))];
    if (status.state === "waiting" && status.position !== undefined) {
      parts.push(h("p", { class: "big" }, "You are number ", h("strong", { testid: "queue-position" }, status.position), " in line"));
      if (status.estimated_wait_secs !== undefined)
        parts.push(h("p", { testid: "queue-eta" }, etaSentence(status.estimated_wait_secs)));
      parts.push(h("p", { class: "muted" }, "Please keep this page open."));
    }
    if (status.state === "app_needed") {
      parts.push(
        h("div", { class: "app-needed", testid: "app-needed" },
          h("p", null, appNeededSentence(s.repName)),
          h("p", null, h("a", { testid: "app-link", href: status.join_url, target: "_blank", rel: "noopener" }, status.join_url)),
          h("p", null, "Your code: ", h("strong", { class: "code", testid: "app-code" }, groupDigits(status.code))),
        ),
      );
    }
    if (status.state === "ended") {
      parts.push(
        h("div", { testid: "ended" },
          h("p", null, status.reason.trim() === "" ? "Your request has ended." : status.reason),
          h("p", null, h("a", { testid: "start-again", href: `/p/${encodeURIComponent(s.portal)}` }, "Start again")),
        ),
      );
    }
    if (mayWithdraw(status)) {
      parts.push(
        h("button", {
          type: "button", class: "secondary", testid: "withdraw",
          on: { click: () => {
            const request = this.state.request;
            if (request !== null) this.conn.send({ type: "withdraw_request", request });
            this.apply(withdrawn(this.state));
          } },
        }, "Cancel request"),
      );
    }
    replace(this.requestArea, ...parts);
  }

  private renderChat(): void {
    const s = this.state;
    const live = s.status !== null && ["accepted", "app_needed", "in_session"].includes(s.status.state);
    show(this.chatArea, s.chatOpen && (live || s.chat.length > 0));
    show(this.chatSend.el, s.chatOpen && live && !s.lost);
    this.chat.render(s.chat);
  }
}

interface RequestForm {
  el: HTMLElement;
  update(page: PortalPage, s: CustomerState): void;
}

type Send = (msg: Extract<ClientMessage, { type: "request_help" }>) => void;

function buildForm(page: PortalPage, send: Send, portal: string): RequestForm {
  const error = h("p", { class: "form-error", testid: "form-error", role: "alert", hidden: true });
  const fail = (text: string | null): void => {
    show(error, text !== null);
    setText(error, text ?? "");
  };
  if (page.mode === "smart_pin") {
    const input = h("input", { type: "text", testid: "code-input", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 20, placeholder: "123 456 789" });
    const form = h("form", { class: "card", novalidate: true, on: { submit: (e) => {
      e.preventDefault();
      const checked = checkCode(input.value);
      if ("error" in checked) return fail(checked.error);
      fail(null);
      location.assign(joinPath(portal, checked.code));
    } } },
      h("h2", null, "Enter the 9-digit code your representative gave you"),
      field("Your code", input),
      h("button", { type: "submit", testid: "code-submit" }, "Continue"),
      error,
    );
    return { el: form, update: () => undefined };
  }
  const name = h("input", { type: "text", testid: "customer-name", autocomplete: "name", maxlength: 200, required: true });
  const controls: Array<HTMLInputElement | HTMLTextAreaElement> = [];
  const rows: HTMLElement[] = [field(["Your name", h("span", { class: "req" }, " (required)")], name)];
  let question: HTMLTextAreaElement | null = null;
  const hasForm = page.mode === "smart_box" || page.mode === "queue";
  const specs = hasForm ? page.fields : [];
  if (hasForm) {
    question = h("textarea", { testid: "question", rows: 4, maxlength: maxLength("question"), required: true });
    rows.push(field(["How can we help?", h("span", { class: "req" }, " (required)")], question));
    specs.forEach((spec, i) => {
      const control = fieldControl(spec, i);
      controls.push(control);
      rows.push(field([spec.label, spec.required ? h("span", { class: "req" }, " (required)") : null], control));
    });
  }
  const reps = h("fieldset", { class: "reps", hidden: page.mode !== "smart_match" }, h("legend", null, "Choose who should help you"));
  const submit = h("button", { type: "submit", testid: "request-submit" }, "Get help now");
  const form = h("form", { class: "card", novalidate: true, on: { submit: (e) => {
    e.preventDefault();
    const values = controls.map((c) => c.value.trim());
    const problem = checkForm(name.value, specs, values);
    if (problem !== null) return fail(problem);
    let rep: string | undefined;
    if (page.mode === "smart_match") {
      rep = reps.querySelector<HTMLInputElement>("input[type=radio]:checked")?.value;
      if (rep === undefined) return fail("Please choose who should help you.");
    }
    fail(null);
    // When the customer asked (the end-to-end tests measure submit → alert with it).
    document.body.dataset.submittedAt = String(Date.now());
    send({
      type: "request_help",
      portal,
      customer: name.value.trim(),
      question: question?.value.trim() ?? "",
      fields: values,
      ...(rep === undefined ? {} : { rep }),
    });
  } } },
    h("h2", null, "Ask for help"),
    ...rows,
    reps,
    submit,
    error,
  );
  let repsKey = "";
  let serverError: string | null = null;
  return {
    el: form,
    update(current, s) {
      submit.disabled = s.sending || s.lost;
      // The portal's refusal replaces the page's own message; a later render keeps either.
      if (s.formError !== serverError) {
        serverError = s.formError;
        if (serverError !== null) fail(serverError);
      }
      if (current.mode !== "smart_match") return;
      const key = JSON.stringify(current.reps);
      if (key === repsKey) return;
      repsKey = key;
      const chosen = reps.querySelector<HTMLInputElement>("input[type=radio]:checked")?.value;
      replace(reps, h("legend", null, "Choose who should help you"),
        ...current.reps.map((r) =>
          h("label", { class: "rep", testid: `rep-${r.handle}` },
            h("input", { type: "radio", name: "rep", value: r.handle, checked: r.handle === chosen || current.reps.length === 1 }),
            " ", r.name)));
    },
  };
}

function fieldControl(spec: FieldSpec, i: number): HTMLInputElement | HTMLTextAreaElement {
  const common = { testid: `field-${i}`, maxlength: maxLength(spec.kind), required: spec.required };
  switch (spec.kind) {
    case "long_text":
      return h("textarea", { ...common, rows: 3 });
    case "email":
      return h("input", { ...common, type: "email", autocomplete: "email" });
    case "phone":
      return h("input", { ...common, type: "tel", autocomplete: "tel" });
    case "number":
      return h("input", { ...common, type: "text", inputmode: "numeric", pattern: "[0-9]*" });
    case "text":
      return h("input", { ...common, type: "text" });
  }
}
