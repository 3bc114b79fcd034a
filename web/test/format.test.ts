import assert from "node:assert/strict";
import { test } from "node:test";

import {
  aboutMinutes,
  formatBytes,
  formatCountdown,
  formatDuration,
  groupDigits,
  parseCode,
  representatives,
  secondsLeft,
  secondsSince,
  shellQuoted,
  viewerCommand,
  viewerLink,
} from "../src/format";

test("codes are grouped in threes, keeping leading zeros", () => {
  assert.equal(groupDigits("012345678"), "012 345 678");
  assert.equal(groupDigits("000000001"), "000 000 001");
  assert.equal(groupDigits("12345"), "12345");
});

test("typed codes accept spaces and dashes, and nothing else", () => {
  assert.equal(parseCode(" 123 456 789 "), "123456789");
  assert.equal(parseCode("123-456-789"), "123456789");
  assert.equal(parseCode("012345678"), "012345678");
  assert.equal(parseCode("12345678"), null);
  assert.equal(parseCode("1234567890"), null);
  assert.equal(parseCode("12345678x"), null);
  assert.equal(parseCode("１２３４５６７８９"), null);
  assert.equal(parseCode(""), null);
});

test("durations and countdowns", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(5), "0:05");
  assert.equal(formatDuration(65), "1:05");
  assert.equal(formatDuration(599.9), "9:59");
  assert.equal(formatDuration(3600 + 61), "1:01:01");
  assert.equal(formatDuration(-3), "0:00");
  assert.equal(formatCountdown(1200), "20:00");
  assert.equal(formatCountdown(1), "0:01");
  assert.equal(formatCountdown(0), "expired");
  assert.equal(formatCountdown(-5), "expired");
});

test("countdowns run against the moment the value arrived", () => {
  assert.equal(secondsLeft(60, 1000, 1000), 60);
  assert.equal(secondsLeft(60, 1000, 1999), 60);
  assert.equal(secondsLeft(60, 1000, 2000), 59);
  assert.equal(secondsLeft(60, 0, 120_000), 0);
  assert.equal(secondsSince(75, 0, 0), 75);
  assert.equal(secondsSince(75, 0, 10_500), 85);
  assert.equal(secondsSince(75, 5000, 0), 75);
});

test("words", () => {
  assert.equal(aboutMinutes(10), "about 1 minute");
  assert.equal(aboutMinutes(60), "about 1 minute");
  assert.equal(aboutMinutes(61), "about 2 minutes");
  assert.equal(aboutMinutes(300), "about 5 minutes");
  assert.equal(representatives(1), "1 representative");
  assert.equal(representatives(3), "3 representatives");
  assert.equal(viewerCommand("012345678"), "tandem-viewer join 012345678");
  assert.equal(viewerLink("012345678"), "tandem://join?code=012345678");
  const to = { portalUrl: "https://help.example.com:8470#pin=sha256:ab", user: "bob" };
  assert.equal(
    viewerLink("012345678", to),
    "tandem://join?code=012345678&portal=https%3A%2F%2Fhelp.example.com%3A8470%23pin%3Dsha256%3Aab&user=bob",
  );
  assert.equal(shellQuoted("o'brien"), "'o'\\''brien'");
  assert.equal(
    viewerCommand("012345678", to),
    "tandem-viewer --portal 'https://help.example.com:8470#pin=sha256:ab' --user 'bob' join 012345678",
  );
});

test("sizes read as a person says them", () => {
  assert.equal(formatBytes(0), "0 bytes");
  assert.equal(formatBytes(1023), "1023 bytes");
  assert.equal(formatBytes(1536), "1.5 KB");
  assert.equal(formatBytes(200 * 1024 * 1024), "200 MB");
});
