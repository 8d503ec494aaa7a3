#!/bin/bash
# Healthy when the SMTP server greets with 220 and answers EHLO with 250. One bash process and its
# builtins (/dev/tcp, read -t): no nc, grep or sleep to start every time it runs.

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
connect 25
read -r -t 5 line <&3
[[ $line == "220 "* ]] || { echo "greeting: ${line:-none}"; exit 1; }
printf 'EHLO healthcheck\r\n' >&3
while read -r -t 5 line <&3 && [[ $line == 250-* ]]; do :; done
printf 'QUIT\r\n' >&3
[[ $line == "250 "* ]] || { echo "EHLO answered: ${line:-nothing}"; exit 1; }
