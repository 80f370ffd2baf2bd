"""The ASGI server answers WebSockets from a real browser, under the page's CSP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page

PING = """async (url) => await new Promise((resolve, reject) => {
  const socket = new WebSocket(url);
  const timer = setTimeout(() => { socket.close(); reject(new Error("no answer within 10 s")); }, 10000);
  socket.onopen = () => socket.send(JSON.stringify({type: "ping"}));
  socket.onmessage = (event) => { clearTimeout(timer); socket.close(); resolve(JSON.parse(event.data)); };
  socket.onerror = () => { clearTimeout(timer); reject(new Error("WebSocket error")); };
})"""


def test_browser_pings_the_server_over_a_websocket(new_page: Callable[..., Page], demo: dict[str, Any]) -> None:
    page = new_page()
    page.goto(demo["login_url"])  # a page of the live server, with its Content-Security-Policy
    ws_url = demo["base_url"].replace("http://", "ws://", 1) + "/ws/ping/"
    assert page.evaluate(PING, ws_url) == {"type": "pong"}
