#!/bin/bash
# Healthy when vsftpd greets with 220 on the control port. One bash process and its builtins;
# while vsftpd starts, it waits for it inside this run (services/common/tcp-connect.sh).
. /usr/local/lib/l7lab/tcp-connect.sh   # connect PORT (services/common/tcp-connect.sh)
connect 21
read -r -t 8 line <&3
printf 'QUIT\r\n' >&3
[[ $line == "220 "* ]] || { echo "greeting: ${line:-none}"; exit 1; }
