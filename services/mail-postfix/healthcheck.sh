#!/bin/sh
# Healthy when the SMTP server greets with 220 and answers EHLO (one command at a time, as a
# client that does not pipeline must).
out=$({ sleep 0.2; printf 'EHLO healthcheck\r\n'; sleep 0.2; printf 'QUIT\r\n'; } | nc -w 3 127.0.0.1 25) || exit 1
echo "$out" | grep -q '^220 ' && echo "$out" | grep -q '^250 '
