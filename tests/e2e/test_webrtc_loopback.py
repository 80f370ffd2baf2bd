"""This machine's Chromium can make a WebRTC call: two peer connections in one page, no app code.

If this fails, the call tests cannot pass either: look at the launch flags in
helpers.CHROMIUM_ARGS (fake camera, loopback ICE candidates) before the app.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, Route

from tests.e2e.media import poll, remote_video_sizes, wait_for_decoded_video

# getUserMedia needs a secure context, which about:blank and data: URLs are not here;
# http://localhost is one. Playwright answers for it: nothing listens, nothing of the app runs.
PAGE_URL = "http://localhost/webrtc-loopback"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>WebRTC loopback</title></head>
<body><video id="remote" autoplay muted playsinline></video></body></html>"""

CONNECT = """async () => {
  const sender = new RTCPeerConnection({iceServers: []});
  const receiver = new RTCPeerConnection({iceServers: []});
  sender.onicecandidate = (event) => event.candidate && receiver.addIceCandidate(event.candidate);
  receiver.onicecandidate = (event) => event.candidate && sender.addIceCandidate(event.candidate);
  receiver.ontrack = (event) => {
    document.getElementById("remote").srcObject = event.streams[0];
  };
  const camera = await navigator.mediaDevices.getUserMedia({video: true, audio: false});
  for (const track of camera.getTracks()) sender.addTrack(track, camera);
  await sender.setLocalDescription(await sender.createOffer());
  await receiver.setRemoteDescription(sender.localDescription);
  await receiver.setLocalDescription(await receiver.createAnswer());
  await sender.setRemoteDescription(receiver.localDescription);
  window.loopback = {sender, receiver};
  return camera.getVideoTracks()[0].label;
}"""


def test_two_peer_connections_in_one_page_exchange_video(new_page: Callable[..., Page]) -> None:
    page = new_page()

    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=PAGE)

    page.route(PAGE_URL, serve)
    page.goto(PAGE_URL)

    camera = page.evaluate(CONNECT)
    assert camera, "getUserMedia gave a video track without a label: is the fake camera flag set?"

    frames = wait_for_decoded_video(page, "window.loopback.receiver", min_frames=10, timeout_s=30)
    assert frames[0] >= 10

    widths = poll(
        lambda: remote_video_sizes(page, "video#remote"),
        lambda widths: bool(widths) and all(width > 0 for width in widths),
        page,
        timeout_s=10,
        what="the remote <video> to show a frame",
    )
    assert widths[0] > 0
    page.evaluate("() => { window.loopback.sender.close(); window.loopback.receiver.close(); }")
