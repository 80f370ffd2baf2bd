// An invited interpreter or relative: straight into the consultation's call.
import { startCall } from "../call/call.js";
import { getMedia } from "../call/devices.js";
import { pageData, setBehind } from "./page.js";

const data = pageData();

// The call joins while the camera starts; its tracks follow, and the call stops them when it
// ends (startCall's localStream).
// The call covers the page: what is behind it is inert until it ends.
function begin() {
  const container = document.getElementById("call-view");
  startCall({
    socketUrl: data.socketUrl,
    labels: data.labels,
    container,
    localStream: getMedia().catch(() => getMedia({ video: false })).catch(() => null),
    onEnded: () => {
      setBehind(container, false);
      document.getElementById("call-ended").hidden = false;
    },
  });
  setBehind(container, true);
}

begin();
