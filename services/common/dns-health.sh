#!/bin/bash
# dns-health.sh [-w SECONDS] [-r] -t TYPE NAME [SERVER]: the health check of the lab's name servers,
# its resolver and its workstations. Healthy (exit 0) when SERVER (default: the first nameserver in
# /etc/resolv.conf) answers the query NAME TYPE with NOERROR and at least one answer record; with
# -r (no recursion wanted, as host's -r) the answer must also be authoritative (AA), so that a name
# server answers only for a zone it has loaded.
#
# The query goes over DNS's TCP transport (RFC 1035 4.2.2, RFC 7766), which named, NSD and Unbound
# all serve, and is made by bash's builtins: no process starts. A `host` query cost about 15 ms of
# CPU and a thread pool each time, a tenth of what a health check's `docker exec` costs, and the
# lab runs nine of these checks, several times each while it starts.
#
# While the server starts (a secondary until its first zone transfer, the resolver until the root
# answers), it asks again every 0.1 s for up to -w SECONDS (default 5) rather than fail: Docker
# would run the whole check again, and each run is a `docker exec`. A last try says what is wrong.
# The images that use it are built with services/ as their context (docker-compose.yml), not
# build.additional_contexts, which the BuildKit of Docker Engine 20.10 does not have.
export LC_ALL=C
usage() { echo "usage: dns-health.sh [-w SECONDS] [-r] -t A|NS|SOA|MX|AAAA NAME [SERVER]" >&2; exit 2; }
rd=1 type= wait=5
while getopts "rt:w:" opt; do
  case $opt in
    r) rd=0 ;;
    t) type=$OPTARG ;;
    w) wait=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
(($# == 1 || $# == 2)) || usage
[[ $wait =~ ^[0-9]+$ ]] || usage
case $type in
  A) qtype=1 ;; NS) qtype=2 ;; SOA) qtype=6 ;; MX) qtype=15 ;; AAAA) qtype=28 ;;
  *) usage ;;
esac
name=$1 server=${2:-}
if [[ -z $server ]]; then
  while read -r key value _; do
    [[ $key == nameserver ]] && { server=$value; break; }
  done </etc/resolv.conf
  [[ -n $server ]] || { echo "no nameserver in /etc/resolv.conf"; exit 1; }
fi

# The query, as the numbers of its bytes: the header (a random ID, RD as asked, one question),
# then the name as labels, the type and class IN.
id=$((RANDOM & 0xffff))
query=($((id >> 8)) $((id & 255)) "$rd" 0 0 1 0 0 0 0 0 0)
labels=${name%.}
if [[ -n $labels ]]; then
  IFS=. read -ra parts <<<"$labels"
  for label in "${parts[@]}"; do
    ((${#label} >= 1 && ${#label} <= 63)) || { echo "bad name $name"; exit 2; }
    query+=("${#label}")
    for ((i = 0; i < ${#label}; i++)); do
      printf -v byte '%d' "'${label:i:1}"
      query+=("$byte")
    done
  done
fi
query+=(0 0 "$qtype" 0 1)
# Over TCP a message is preceded by its length in two bytes.
printf -v message '\\x%02x' $((${#query[@]} >> 8)) $((${#query[@]} & 255)) "${query[@]}"

RCODES=(NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED)
# ask TIMEOUT: one query; exit status 0 when the answer is good, else `problem` says why.
ask() {
  local timeout=$1 byte reply=() flags rcode answers
  problem=
  if ! { exec 3<>"/dev/tcp/$server/53"; } 2>/dev/null; then
    problem="nothing answers on $server port 53 (TCP)"
    return 1
  fi
  printf "$message" >&3
  # The length (2 bytes) and the header (12): a NUL byte reads as the empty string.
  while ((${#reply[@]} < 14)); do
    if ! IFS= read -r -d '' -n 1 -t "$timeout" -u 3 byte; then
      problem="no answer from $server within $timeout s"
      exec 3<&-
      return 1
    fi
    printf -v byte '%d' "'$byte"
    reply+=("$byte")
  done
  exec 3<&-
  flags=${reply[4]} rcode=$((reply[5] & 15)) answers=$((reply[8] * 256 + reply[9]))
  if ((reply[2] * 256 + reply[3] != id || !(flags & 0x80))); then
    problem="$server sent something that is not the answer to the query"
  elif ((rcode != 0)); then
    problem="$server answered $name $type with ${RCODES[rcode]:-rcode $rcode}"
  elif ((answers == 0)); then
    problem="$server has no $type record for $name"
  elif ((rd == 0 && !(flags & 0x04))); then
    problem="$server answered $name $type, but not authoritatively (no AA): it does not serve the zone"
  fi
  [[ -z $problem ]]
}

exec {pause}<> <(:)   # a pipe no one writes to: `read -t` on it is a sleep without a process
for ((deadline = SECONDS + wait; SECONDS < deadline; )); do
  ask 1 && exit 0
  read -r -t 0.1 -u "$pause"
done
ask 3 && exit 0
echo "$problem"
exit 1
