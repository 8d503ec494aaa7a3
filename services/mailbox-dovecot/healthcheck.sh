#!/bin/sh
# Healthy when IMAP and POP3 greet and LMTP answers.
printf 'a LOGOUT\r\n' | nc -w 3 127.0.0.1 143 | grep -q '^\* OK' || exit 1
printf 'QUIT\r\n' | nc -w 3 127.0.0.1 110 | grep -q '^+OK' || exit 1
printf 'QUIT\r\n' | nc -w 3 127.0.0.1 24 | grep -q '^220 '
