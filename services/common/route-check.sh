# Sourced by the health checks of the campus hosts whose default route a one-shot container sets
# from outside (bob, the proxy: docker-compose.yml, bob-routes and proxy-routes), so that they hold
# no NET_ADMIN themselves. Bash builtins only: no `ip` process every time the check runs.
#
# default_route_via GATEWAY exits 1, naming the gateway, unless the default route goes through
# GATEWAY; while the host starts and the route is not set yet, it looks again every 0.05 s for up
# to 5 s rather than fail into another docker exec.
default_route_via() {
  local a b c d want iface dest gw rest deadline=$((SECONDS + 5))
  [[ -n ${pause:-} ]] || exec {pause}<> <(:)   # a pipe no one writes to: `read -t` on it sleeps
  IFS=. read -r a b c d <<<"$1"
  printf -v want '%02X%02X%02X%02X' "$d" "$c" "$b" "$a"   # /proc/net/route: little-endian hex
  while :; do
    while read -r iface dest gw rest; do
      [[ $dest == 00000000 && $gw == "$want" ]] && return 0
    done </proc/net/route
    ((SECONDS < deadline)) || { echo "no default route via $1: a one-shot container of the lab sets it when this host starts (docker compose up -d sets it again)"; exit 1; }
    read -r -t 0.05 -u "$pause"
  done
}
