#!/bin/bash
# Healthy when the SMTP server greets with 220 and answers EHLO with 250. One bash process and its
# builtins (/dev/tcp, read -t): no nc, grep or sleep to start every time it runs.

. /usr/local/lib/l7lab/tcp-connect.sh   # connect PORT (services/common/tcp-connect.sh)
connect 25
read -r -t 5 line <&3
[[ $line == "220 "* ]] || { echo "greeting: ${line:-none}"; exit 1; }
printf 'EHLO healthcheck\r\n' >&3
while read -r -t 5 line <&3 && [[ $line == 250-* ]]; do :; done
printf 'QUIT\r\n' >&3
[[ $line == "250 "* ]] || { echo "EHLO answered: ${line:-nothing}"; exit 1; }
