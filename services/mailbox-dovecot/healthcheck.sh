#!/bin/bash
# Healthy when IMAP (143) and POP3 (110) greet and LMTP (24) answers. One bash process and its
# builtins (/dev/tcp, read -t): no nc or grep to start every time it runs.

# Opens fd 3 to 127.0.0.1:PORT. While the daemon starts and nothing listens yet, it retries every
# 0.2 s for up to 5 s rather than fail: Docker would run the whole check again, and each run is a
# `docker exec` that costs ~0.13 CPU-s, far more than a retry in here.
exec {pause}<> <(:)   # a pipe no one writes to: `read -t` on it is a sleep without a process
connect() {
  local deadline=$((SECONDS + 5))
  until { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "nothing listens on port $1"; exit 1; }
    read -r -t 0.2 -u "$pause"
  done
}
greets() { # port, what the greeting starts with, the command that ends the session
  connect "$1"
  local line
  read -r -t 5 line <&3
  printf '%s\r\n' "$3" >&3
  exec 3<&-
  [[ $line == "$2"* ]] || { echo "port $1 greeted with: ${line:-nothing}"; exit 1; }
}
greets 143 '* OK' 'a LOGOUT'
greets 110 '+OK' QUIT
greets 24 '220 ' QUIT
