#!/bin/bash
# Healthy when the RTSP server answers OPTIONS on /twister with 200 (no media is started). One bash
# process and its builtins (/dev/tcp, read -t), not a Python interpreter.
exec 3<>/dev/tcp/127.0.0.1/554 || exit 1
printf 'OPTIONS rtsp://127.0.0.1/twister RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: l7lab-healthcheck\r\n\r\n' >&3
read -r -t 8 status <&3
status=${status%$'\r'}
[[ $status == "RTSP/1.0 200 OK" ]] || { echo "OPTIONS answered: ${status:-nothing}"; exit 1; }
