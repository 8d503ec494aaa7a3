#!/bin/bash
# Healthy when IMAP (143) and POP3 (110) greet and LMTP (24) answers. One bash process and its
# builtins (/dev/tcp, read -t): no nc or grep to start every time it runs.
greets() { # port, what the greeting starts with, the command that ends the session
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  local line
  read -r -t 8 line <&3
  printf '%s\r\n' "$3" >&3
  exec 3<&-
  [[ $line == "$2"* ]] || { echo "port $1 greeted with: ${line:-nothing}"; exit 1; }
}
greets 143 '* OK' 'a LOGOUT'
greets 110 '+OK' QUIT
greets 24 '220 ' QUIT
