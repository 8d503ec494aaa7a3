#!/bin/bash
# Healthy when nginx answers GET /healthz with 200: bash's own /dev/tcp, no curl in the image.
# While nginx starts, it waits for it inside this run (services/common/tcp-connect.sh).
. /usr/local/lib/l7lab/tcp-connect.sh   # expect_status (services/common/tcp-connect.sh)
expect_status 80 "GET /healthz" $'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "HTTP/1.1 200 OK"
