#!/bin/sh
# CAMPUS_SUBNET comes from docker-compose.yml. IP forwarding is switched on there (sysctls).
set -eu
: "${CAMPUS_SUBNET:?CAMPUS_SUBNET must be set}"
iptables -t nat -C POSTROUTING -s "$CAMPUS_SUBNET" ! -d "$CAMPUS_SUBNET" -j MASQUERADE 2>/dev/null \
  || iptables -t nat -A POSTROUTING -s "$CAMPUS_SUBNET" ! -d "$CAMPUS_SUBNET" -j MASQUERADE
# FTP and TFTP through the NAT: the kernel's conntrack helpers follow the FTP control connection
# (rewriting PORT/EPRT and expecting the server's data connection back) and a TFTP request
# (expecting the server's reply from a new port). Since Linux 4.7 helpers are only attached
# explicitly, here to campus clients' connections to port 21/tcp and 69/udp.
for helper in "tcp 21 ftp" "udp 69 tftp"; do
  set -- $helper
  iptables -t raw -C PREROUTING -s "$CAMPUS_SUBNET" -p "$1" --dport "$2" -j CT --helper "$3" 2>/dev/null \
    || iptables -t raw -A PREROUTING -s "$CAMPUS_SUBNET" -p "$1" --dport "$2" -j CT --helper "$3"
done
# The campus reaches the web (port 80 on the Internet side) only through its proxy cache: other
# campus hosts get a TCP reset, as from a campus firewall.
if [ -n "${CAMPUS_PROXY:-}" ]; then
  iptables -N CAMPUS-WEB 2>/dev/null || iptables -F CAMPUS-WEB
  iptables -A CAMPUS-WEB -s "$CAMPUS_PROXY" -j RETURN
  iptables -A CAMPUS-WEB -p tcp -j REJECT --reject-with tcp-reset
  iptables -C FORWARD -s "$CAMPUS_SUBNET" ! -d "$CAMPUS_SUBNET" -p tcp --dport 80 -j CAMPUS-WEB 2>/dev/null \
    || iptables -A FORWARD -s "$CAMPUS_SUBNET" ! -d "$CAMPUS_SUBNET" -p tcp --dport 80 -j CAMPUS-WEB
fi
echo "campus router: forwarding $(cat /proc/sys/net/ipv4/ip_forward), masquerading $CAMPUS_SUBNET"
ip -brief address
exec sleep infinity
