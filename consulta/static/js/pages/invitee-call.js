// An invited interpreter or relative: straight into the consultation's call.
import { startCall } from "../call/call.js";
import { getMedia, stopStream } from "../call/devices.js";
import { pageData } from "./page.js";

const data = pageData();

async function begin() {
  const stream = await getMedia().catch(() => getMedia({ video: false }).catch(() => null));
  startCall({
    socketUrl: data.socketUrl,
    labels: data.labels,
    container: document.getElementById("call-view"),
    localStream: stream,
    onEnded: () => {
      stopStream(stream);
      document.getElementById("call-ended").hidden = false;
    },
  });
}

begin();
