// Rights and roles in words, for the console's session panel. Rights are the wire bits of
// `protocol/src/ids.rs`; a right is either in a set or not, and bits this app does not know
// are never named (they grant nothing here either).

import type { Rights, Role } from "./wire";

/** See the customer's screen. */
export const VIEW = 1;
/** Send keyboard and mouse input. */
export const CONTROL = 2;
/** Chat with the customer. */
export const CHAT = 4;
/** Send and fetch files. */
export const FILES = 8;
/** Ask to restart the customer's computer. */
export const REBOOT = 16;
/** Share the clipboard with the customer, both ways (comes with the customer's consent to control). */
export const CLIPBOARD = 32;

/** True when every right in `wanted` is in `rights`. */
export function hasRights(rights: Rights, wanted: Rights): boolean {
  return (rights & wanted) === wanted;
}

const WORDS: ReadonlyArray<[Rights, string]> = [
  [VIEW, "sees the screen"],
  [CONTROL, "controls"],
  [CHAT, "chats"],
  [FILES, "transfers files"],
  [REBOOT, "may restart the computer"],
  [CLIPBOARD, "may use the clipboard"],
];

/** "sees the screen, controls, chats"; "no rights" for none. */
export function rightsInWords(rights: Rights): string {
  const words = WORDS.filter(([bit]) => hasRights(rights, bit)).map(([, word]) => word);
  return words.length === 0 ? "no rights" : words.join(", ");
}

/** A role as the representative reads it. */
export function roleInWords(role: Role): string {
  switch (role) {
    case "customer":
      return "Customer";
    case "host":
      return "Host";
    case "representative":
      return "Representative";
    case "specialist":
      return "External specialist";
  }
}

/** The choices of the invite and specialist rights selects: [bits, label]. */
export const INVITE_RIGHTS: ReadonlyArray<[Rights, string]> = [
  [VIEW | CHAT, "See the screen and chat"],
  [VIEW | CONTROL | CHAT, "See, control and chat"],
];

/** The bits a rights select's value stands for (the first choice for anything else). */
export function rightsChoice(value: string): Rights {
  const bits = Number(value);
  const found = INVITE_RIGHTS.find(([r]) => r === bits);
  return found === undefined ? VIEW | CHAT : found[0];
}
