// Sign-in and one's own account, without the DOM: the login request (with the authenticator
// app's code once the portal asks for it), the Account page's second factor (set up, turn on,
// turn off) and a sign-in the portal ended (a manager signed the representative out, or the
// sign-in expired). console.ts keeps the state; console_view.ts and console_account.ts draw it.
//
// Neither the password nor a code is ever kept here: the login form's fields hold them until
// the login is sent (the view empties them after a successful login), and requests carry them
// straight to the socket.

import type { ConsoleState } from "./console";
import type { AddedRep, ClientMessage, ErrorKind, SecondFactorSetup, SecondFactorView } from "./wire";

/** The one sentence that says what a second factor does. */
export const FACTOR_RULE =
  "With a second factor, signing in also asks for the 6-digit code your authenticator app shows.";

/** What the login form says when the portal asks for the code (error "second_factor"). */
export const OTP_LABEL = "Code from your authenticator app";

/** The login request. */
export type LoginMessage = Extract<ClientMessage, { type: "login" }>;

/** A one-time password for the notice: a new account's first one, or a reset's (`reset`). */
export interface AddedNotice extends AddedRep {
  readonly reset?: boolean;
}

/** A sign_out or reset_sign_in sent from the management page and not answered yet. */
export interface AccountPending {
  readonly op: "sign_out" | "reset_sign_in";
  readonly user: string;
}

/** One's own second factor as the Account page shows it. */
export interface FactorState {
  /**
   * On: signing in asks for a code. The portal says so only in answers to the second_factor
   * requests; until one comes it is what the login showed (the portal asked for a code).
   */
  readonly enabled: boolean;
  /**
   * A setup the portal started: its secret, to enter in the app and confirm with a code. Kept
   * only while the page is open and the connection lasts.
   */
  readonly setup: SecondFactorSetup | null;
  /** A second_factor request was sent and not answered: its error belongs to the page. */
  readonly pending: boolean;
  readonly error: string | null;
}

export function initialFactor(enabled = false): FactorState {
  return { enabled, setup: null, pending: false, error: null };
}

/** Which controls the page shows: start a setup, confirm one, or turn the factor off. */
export type FactorMode = "off" | "setup" | "on";

export function factorMode(f: FactorState): FactorMode {
  if (f.enabled) return "on";
  return f.setup === null ? "off" : "setup";
}

/** "Off" or "On" (#factor-status). */
export function factorStatus(f: FactorState): string {
  return f.enabled ? "On" : "Off";
}

/** The digits of a code as typed ("123 456", "123-456"), or null unless exactly 6 digits. */
export function otpDigits(typed: string): string | null {
  const compact = typed.replace(/[\s-]/g, "");
  return /^\d{6}$/.test(compact) ? compact : null;
}

const CODE_NEEDED = "Enter the 6-digit code your authenticator app shows now.";
const CODE_SHAPE = "The code is the 6 digits your authenticator app shows now.";

/** A code field's digits, or what is wrong with it (a sentence for the page). */
function codeOrWhy(typed: string): string | { code: string } {
  if (typed.trim() === "") return CODE_NEEDED;
  const code = otpDigits(typed);
  return code === null ? CODE_SHAPE : { code };
}

/**
 * The login request from the form, or what is wrong with it. `otp` is the code field's text
 * once the portal asked for it (null before: no code is sent).
 */
export function loginRequest(
  user: string,
  password: string,
  portal: string,
  otp: string | null,
): LoginMessage | string {
  const account = user.trim();
  if (account === "" || password === "") return "Please enter your user name and password.";
  const chosen = portal.trim() === "" ? null : portal.trim();
  if (otp === null) return { type: "login", user: account, password, portal: chosen };
  const code = codeOrWhy(otp);
  if (typeof code === "string") return code;
  return { type: "login", user: account, password, portal: chosen, otp: code.code };
}

/** Starts setting a second factor up (the portal answers with a secret). */
export const FACTOR_SETUP: ClientMessage = { type: "manage", op: "second_factor_setup" };

/** Turning one's second factor on (confirming the setup) or off, proved by a code. */
export function factorRequest(on: boolean, typed: string): ClientMessage | string {
  const code = codeOrWhy(typed);
  if (typeof code === "string") return code;
  return { type: "manage", op: on ? "second_factor_on" : "second_factor_off", code: code.code };
}

/** A base32 secret in groups of 4 for reading ("GEZD GNBV GY…"); copying takes the raw one. */
export function groupSecret(secret: string): string {
  return (secret.replace(/\s+/g, "").match(/.{1,4}/g) ?? []).join(" ");
}

/** The setup's link, when it is an otpauth:// one (nothing else from the wire becomes a link). */
export function otpauthLink(uri: string): string | null {
  return /^otpauth:\/\//i.test(uri) ? uri : null;
}

/**
 * Whether an error on a logged-in connection ends its sign-in: the portal's "unauthorized"
 * telling the representative to sign in again (a manager signed them out, or the sign-in
 * expired), after which it closes the connection.
 */
export function endsSignIn(kind: ErrorKind, message: string): boolean {
  return kind === "unauthorized" && /\bsign in again\b/i.test(message);
}

/** The login form shows the code field: the password was right, the account needs its code. */
export function otpAsked(s: ConsoleState, message: string): ConsoleState {
  return { ...s, loggingIn: false, loginError: null, otpNeeded: true, otpPrompt: message };
}

/** The login form was refused before sending: the form says why. */
export function loginInvalid(s: ConsoleState, why: string): ConsoleState {
  return { ...s, loginError: why };
}

/** A second_factor request was sent from the Account page. */
export function factorSent(s: ConsoleState): ConsoleState {
  return { ...s, factor: { ...s.factor, pending: true, error: null } };
}

/** The code field was refused before sending: the page says why. */
export function factorInvalid(s: ConsoleState, why: string): ConsoleState {
  return { ...s, factor: { ...s.factor, error: why } };
}

/** The portal's answer: on or off, and a setup to confirm (kept only while the page is open). */
export function factorAnswer(s: ConsoleState, view: SecondFactorView): ConsoleState {
  const setup = view.setup === undefined || !s.accountOpen ? null : { secret: view.setup.secret, uri: view.setup.uri };
  return { ...s, factor: { enabled: view.enabled, setup, pending: false, error: null } };
}

/** An error while the page is open: the page shows it (a refused code keeps the setup). */
export function factorRefused(s: ConsoleState, message: string): ConsoleState {
  return { ...s, factor: { ...s.factor, pending: false, error: message } };
}

/** The words around a reset's new password in the notice (#rep-added). */
export function resetWords(user: string): [string, string] {
  return [
    `${user}'s sign-in was reset. New password: `,
    " — give it to them now; it is not shown again. Their second factor is off.",
  ];
}

/** What the page says after a sign_out was answered. */
export function signedOutWords(user: string): string {
  return `${user} was signed out everywhere.`;
}

/** A sentence from the portal's words ("enter the code" → "Enter the code."). */
export function sentence(text: string): string {
  const t = text.trim();
  if (t === "") return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
