#!/bin/bash
# Healthy when IMAP (143) and POP3 (110) greet and LMTP (24), on the mail backend network's
# address, answers. One bash process and its
# builtins (/dev/tcp, read -t): no nc or grep to start every time it runs.

. /usr/local/lib/l7lab/tcp-connect.sh   # connect PORT (services/common/tcp-connect.sh)
greets() { # port, what the greeting starts with, the command that ends the session[, address]
  connect "$1" "${4:-127.0.0.1}"
  local line
  read -r -t 5 line <&3
  printf '%s\r\n' "$3" >&3
  exec 3<&-
  [[ $line == "$2"* ]] || { echo "port $1 greeted with: ${line:-nothing}"; exit 1; }
}
greets 143 '* OK' 'a LOGOUT'
greets 110 '+OK' QUIT
greets 24 '220 ' QUIT "$L7LAB_BACKEND_ADDRESS"
