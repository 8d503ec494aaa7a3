#!/bin/sh
# Healthy when vsftpd greets with 220 on the control port.
out=$({ sleep 0.3; printf 'QUIT\r\n'; } | nc -w 3 127.0.0.1 21) || exit 1
echo "$out" | grep -q '^220 '
