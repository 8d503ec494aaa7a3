#!/bin/bash
# Healthy when vsftpd greets with 220 on the control port. One bash process and its builtins.
exec 3<>/dev/tcp/127.0.0.1/21 || exit 1
read -r -t 8 line <&3
printf 'QUIT\r\n' >&3
[[ $line == "220 "* ]] || { echo "greeting: ${line:-none}"; exit 1; }
