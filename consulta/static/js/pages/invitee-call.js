// An invited interpreter or relative: straight into the consultation's call.
import { startCall } from "../call/call.js";
import { getMedia } from "../call/devices.js";
import { pageData } from "./page.js";

const data = pageData();

// The call joins while the camera starts; its tracks follow, and the call stops them when it
// ends (startCall's localStream).
function begin() {
  startCall({
    socketUrl: data.socketUrl,
    labels: data.labels,
    container: document.getElementById("call-view"),
    localStream: getMedia().catch(() => getMedia({ video: false })).catch(() => null),
    onEnded: () => {
      document.getElementById("call-ended").hidden = false;
    },
  });
}

begin();
