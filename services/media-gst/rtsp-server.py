#!/usr/bin/env python3
"""media.someschool.edu: GStreamer's RTSP server with the presentation /twister.

Two tracks, each made live by a test source, as the slides' SDP describes them:
  stream=0  audio: a 440 Hz tone at 8000 Hz, mu-law, RTP/AVP payload type 0 (PCMU), 20 ms a packet
  stream=1  video: a test pattern, 320x240 at 25 frames/s, JPEG, payload type 26 (RFC 2435)
Every client gets its own media (not shared), so one client's PAUSE does not pause another's.
RTP goes over UDP (client_port pairs, with RTCP) or interleaved in the RTSP TCP connection;
multicast is off. Every request and its reply status are logged on stdout for `docker compose logs media`.
"""
import os
import signal
import sys
import warnings

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

PORT = os.environ.get("RTSP_PORT", "554")
MOUNT = "/twister"
# The raw video must be I420 before jpegenc: otherwise rtpjpegpay cannot preroll and DESCRIBE gets 503.
LAUNCH = (
    "( audiotestsrc is-live=true wave=sine freq=440 samplesperbuffer=160"
    " ! audio/x-raw,rate=8000,channels=1"
    " ! mulawenc ! rtppcmupay name=pay0 pt=0 min-ptime=20000000 max-ptime=20000000"
    "  videotestsrc is-live=true pattern=ball"
    " ! video/x-raw,width=320,height=240,framerate=25/1"
    " ! videoconvert ! video/x-raw,format=I420"
    " ! jpegenc quality=60 ! rtpjpegpay name=pay1 pt=26 )"
)
MAX_SESSIONS = 16
# PyGObject cannot convert the context argument of "send-message" (unused here) and warns once.
warnings.filterwarnings("ignore", message=".*G_VALUE_HOLDS_OBJECT.*")


def log(text: str) -> None:
    print(text, flush=True)


def peer_of(client: GstRtspServer.RTSPClient) -> str:
    conn = client.get_connection()
    return conn.get_ip() if conn is not None else "?"


def is_health_check(client: GstRtspServer.RTSPClient) -> bool:
    # The container's own health check (OPTIONS every 2 s from loopback) is not logged.
    return peer_of(client) == "127.0.0.1"


METHODS = ("OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER", "ANNOUNCE", "RECORD")


def header(message, field) -> str:
    res, value = message.get_header(field, 0)
    return value if res == GstRtsp.RTSPResult.OK else ""


def on_client_connected(server, client):
    """Logs each reply with the request it answers: 200, 404 (unknown presentation), 454 (wrong session) ...

    The request line is noted (by CSeq) when GStreamer announces it; a request refused before that
    (a wrong Session gets 454 first) is logged by its CSeq alone.
    """
    if is_health_check(client):
        return
    peer = peer_of(client)
    pending = {}

    def note_request(method):
        def handler(_client, ctx):
            if ctx.request is not None:
                pending[header(ctx.request, GstRtsp.RTSPHeaderField.CSEQ)] = f"{method} {ctx.uri.get_request_uri() if ctx.uri else '?'}"
            return GstRtsp.RTSPStatusCode.OK
        return handler

    def on_send_message(_client, _ctx, message):
        if message is None or message.get_type() != GstRtsp.RTSPMsgType.RESPONSE:
            return
        _, code, reason, _ = message.parse_response()
        cseq = header(message, GstRtsp.RTSPHeaderField.CSEQ)
        request = pending.pop(cseq, "request")
        line = f"{peer} {request} (CSeq {cseq}) -> {int(code)} {reason}"
        session = header(message, GstRtsp.RTSPHeaderField.SESSION)
        if session:
            line += f" session={session.split(';')[0]}"
        transport = header(message, GstRtsp.RTSPHeaderField.TRANSPORT)
        if transport:
            line += f" transport={transport}"
        log(line)

    log(f"{peer} connected")
    for method in METHODS:
        client.connect(f"pre-{method.lower().replace('_', '-')}-request", note_request(method))
    client.connect("send-message", on_send_message)
    client.connect("closed", lambda _c: log(f"{peer} closed"))


def main() -> None:
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("0.0.0.0")
    server.set_service(PORT)
    server.get_session_pool().set_max_sessions(MAX_SESSIONS)

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(LAUNCH)
    factory.set_shared(False)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.UDP | GstRtsp.RTSPLowerTrans.TCP)
    server.get_mount_points().add_factory(MOUNT, factory)
    server.connect("client-connected", on_client_connected)

    if server.attach(None) == 0:
        sys.exit(f"cannot listen on RTSP port {PORT}")
    # Sessions whose client went away without TEARDOWN end after their timeout (60 s).
    GLib.timeout_add_seconds(2, lambda: server.get_session_pool().cleanup() >= 0)

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    log(f"RTSP server ready: rtsp://media.someschool.edu:{PORT}{MOUNT} (audio PCMU pt 0, video JPEG pt 26; UDP and TCP)")
    loop.run()
    log("RTSP server stopped")


if __name__ == "__main__":
    main()
