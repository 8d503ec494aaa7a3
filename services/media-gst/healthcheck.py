#!/usr/bin/env python3
"""Healthy when the RTSP server answers OPTIONS on /twister with 200 (no media is started)."""
import socket
import sys

try:
    with socket.create_connection(("127.0.0.1", 554), timeout=2) as s:
        s.sendall(b"OPTIONS rtsp://127.0.0.1/twister RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: l7lab-healthcheck\r\n\r\n")
        reply = s.recv(4096).decode("latin-1")
except OSError as error:
    sys.exit(f"no RTSP server on 127.0.0.1:554: {error}")
status = reply.split("\r\n", 1)[0]
if status != "RTSP/1.0 200 OK":
    sys.exit(f"OPTIONS answered {status!r}")
