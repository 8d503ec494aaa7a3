# Sourced by the bash health checks of Postfix, Dovecot, vsftpd, nginx, Squid, the media server
# and the orchestrator (not run by itself).
#
# connect PORT [ADDRESS] opens fd 3 to ADDRESS:PORT (127.0.0.1 unless given). While the daemon starts and nothing listens yet, it
# retries every 0.05 s for up to 5 s rather than fail: Docker would run the whole check again, and
# each run is a `docker exec` that costs ~0.13 CPU-s, far more than a retry in here.
exec {pause}<> <(:)   # a pipe no one writes to: `read -t` on it is a sleep without a process
connect() {
  local deadline=$((SECONDS + 5))
  until { exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1"; } 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "nothing listens on ${2:-127.0.0.1} port $1"; exit 1; }
    read -r -t 0.05 -u "$pause"
  done
}

# expect_status PORT WHAT REQUEST STATUS: connects, sends REQUEST (CRLF line ends), and exits 1,
# naming WHAT, unless the first line of the answer is STATUS (an HTTP or RTSP status line).
expect_status() {
  local status
  connect "$1"
  printf '%s' "$3" >&3
  read -r -t 5 status <&3
  status=${status%$'\r'}
  [[ $status == "$4" ]] || { echo "$2 answered: ${status:-nothing}"; exit 1; }
}
