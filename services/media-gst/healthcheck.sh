#!/bin/bash
# Healthy when the RTSP server answers OPTIONS with 200. GStreamer's server answers OPTIONS for any
# path without looking it up, so this proves that RTSP is served, and prepares no media (DESCRIBE
# would); the scenarios check /twister itself. One bash process and its builtins (/dev/tcp,
# read -t), not a Python interpreter. While the server starts,
# it tries to connect again every 0.05 s for up to 5 s rather than failing into another docker exec.

. /usr/local/lib/l7lab/tcp-connect.sh   # expect_status (services/common/tcp-connect.sh)
expect_status 554 "OPTIONS" $'OPTIONS rtsp://127.0.0.1/twister RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: l7lab-healthcheck\r\n\r\n' "RTSP/1.0 200 OK"
