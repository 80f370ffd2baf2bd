// The transport: all that the call's screen and tools (tools.js, quality.js, layout.js's
// ActiveSpeaker, bitrate.js, local-media.js, the apps) know of how media and data reach the
// others. Today it is the full mesh (mesh.js + link.js: one RTCPeerConnection per other
// peer); a media server could implement the same interface without the screen or the tools
// changing. Nothing outside the transport touches an RTCPeerConnection.
//
// Participants
//   peerId                     our own id in the call (null before the welcome)
//   peerIds                    string[]: the others we have a connection to, oldest first
//   connectionState(peerId)    "new" | "connecting" | "connected" | "disconnected" | "failed"
//                              | "closed", or null for nobody of that id
//   Callbacks, given to the constructor: onRemoteTrack(peerId, stream), onPeerState(peerId,
//   state), onPeerLeft(peerId), onMediaState(peerId, {audio, video}).
//
// Their tracks
//   remoteStream(peerId)       the MediaStream of what they send, or null
//   replaceTrack(kind, track)  → Promise: what we send ("audio" | "video", a track or null),
//                              to everyone, without renegotiation
//
// Statistics per participant
//   stats(peerId)              → Promise<RTCStatsReport | null> (null: nobody of that id).
//                              Counters start afresh when a connection is replaced.
//   audioLevel(peerId)         → 0..1, the loudest of their incoming audio sources right now
//                              (RTCRtpReceiver.getSynchronizationSources: no getStats), 0 if none
//
// Sending
//   setVideoLimits(peerId | null, {maxBitrate, scaleResolutionDownBy})
//                              → Promise<boolean>: limits our video sent to one peer (null:
//                              to everyone). Resolves true once in place everywhere asked,
//                              false when some sender could not take them yet (not yet
//                              negotiated, or negotiating): the caller tries again later.
//
// Data (the apps; data-protocol.js holds the framing and the limits)
//   sendData(message, {to = null})
//                              → number of peers it was handed to. `message`: a plain object
//                              (sent as JSON text) or an ArrayBuffer / Uint8Array (binary, a
//                              file chunk). `to`: one peer id, or null for everyone whose
//                              channel is open. Over MAX_MESSAGE_BYTES: not sent (0).
//   dataOpen(peerId)           → boolean: their channel is open
//   whenDataDrained(peerId)    → Promise<boolean>: resolves once that channel's queue is below
//                              its low mark (true), or false if the channel is gone. Senders of
//                              large things await it before each chunk.
//   onData(peerId, message)    assignable callback: a checked message from a peer, a plain
//                              object ({app, t, ...}) or {frame: {kind, transfer, seq, bytes}}
//   onDataOpen(peerId)         assignable callback: their channel opened (a newcomer, or a
//                              replaced connection): the time to send them the state of things
//   onDataClose(peerId)        assignable callback: their channel closed
//   dataDropped(peerId)        → {too_large, malformed, rate}: what was refused from them
//
// Lifecycle: handle(serverMessage), restartIce(), close().

// The members every transport has (the node tests check Mesh against it).
export const TRANSPORT_MEMBERS = [
  "peerId",
  "peerIds",
  "connectionState",
  "remoteStream",
  "replaceTrack",
  "stats",
  "audioLevel",
  "setVideoLimits",
  "sendData",
  "dataOpen",
  "whenDataDrained",
  "dataDropped",
  "handle",
  "restartIce",
  "close",
];
