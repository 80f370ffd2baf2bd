import assert from "node:assert/strict";
import { test } from "node:test";

// socket.js touches window and document only when a CallSocket is built, not on import.
import { socketUrl } from "../../consulta/static/js/call/socket.js";

const at = (href) => {
  const { protocol, host, pathname } = new URL(href);
  globalThis.location = { protocol, host, pathname };
};

test("socketUrl keeps the page's security: https pages get wss, http pages ws", () => {
  at("https://clinic.example/patient/abc/");
  assert.equal(socketUrl("/ws/consultation/abc/"), "wss://clinic.example/ws/consultation/abc/");
  at("http://127.0.0.1:8000/dashboard/");
  assert.equal(socketUrl("/ws/dashboard/"), "ws://127.0.0.1:8000/ws/dashboard/");
});

test("socketUrl resolves a relative path against the page, and leaves a full ws URL alone", () => {
  at("https://clinic.example/rooms/r1/");
  assert.equal(socketUrl("ws/"), "wss://clinic.example/rooms/r1/ws/");
  assert.equal(socketUrl("ws://other.example/ws/x/"), "ws://other.example/ws/x/");
  assert.equal(socketUrl("wss://other.example/ws/x/"), "wss://other.example/ws/x/");
});
