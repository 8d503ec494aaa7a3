#!/bin/sh
# Creates, once, the lab CA in $L7LAB_CA_DIR (default /ca, the lab-ca-key volume, which no other
# container mounts: the CA key never leaves this container), and a key and certificate for each
# TLS server in that server's own volume, mounted here at $L7LAB_TLS_DIR/<name> (default /tls) and
# read-only in the server alone, at /lab/tls.
#
# L7LAB_CA_HOSTS lists the servers: "name[,altname...] ..." (the first name names the files and the
# directory). L7LAB_CA_DOMAINS lists the lab's domains: the CA certificate's name constraints permit
# only names in them (and no IP address), so even its key could not vouch for a real site.
#
# A server's directory gets <name>.key (mode 0600, owned by root: Postfix and Dovecot read their
# key as root, before they drop privileges), <name>.crt and ca.crt. The servers start beside this
# container and wait for their certificate file: it is written aside and renamed into place last,
# so a certificate that exists is complete, and its key and CA were written before it.
set -eu
dir=${L7LAB_CA_DIR:-/ca}
tls=${L7LAB_TLS_DIR:-/tls}
hosts=${L7LAB_CA_HOSTS:?L7LAB_CA_HOSTS must list the servers}
domains=${L7LAB_CA_DOMAINS:?L7LAB_CA_DOMAINS must list the lab domains the CA may vouch for}

# The health check looks for this file, written once every certificate is issued and verified.
ready=/run/l7lab-ca.ready
rm -f "$ready"

mkdir -p "$dir"
umask 077
constraints="critical,$(for d in $domains; do printf 'permitted;DNS:%s,' "$d"; done)excluded;IP:0.0.0.0/0.0.0.0,excluded;IP:::/::"
# A CA made for other domains is not replaced here: the servers and workstations that start beside
# this container would load the old files before the new ones were written. Say how to start over.
if [ -s "$dir/ca.crt" ] && [ "$(cat "$dir/constraints" 2>/dev/null)" != "$constraints" ]; then
  echo "lab-ca: the CA in $dir was made with the name constraints \"$(cat "$dir/constraints" 2>/dev/null || echo none)\", not \"$constraints\" (L7LAB_CA_DOMAINS changed?). Start the lab's keys over: ./l7lab down, then docker volume rm the project's lab-ca-key, lab-ca-cert and tls-* volumes (docker volume ls), then ./l7lab up." >&2
  exit 2
fi
if [ ! -s "$dir/ca.crt" ]; then
  # The workstations copy the public certificate as soon as it exists: no old one may wait there.
  [ -z "${L7LAB_CA_PUBLIC_DIR:-}" ] || rm -f "$L7LAB_CA_PUBLIC_DIR/ca.crt"
  openssl req -x509 -new -nodes -newkey rsa:2048 -days 3650 -sha256 \
    -subj "/O=l7lab/CN=l7lab lab CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "nameConstraints=$constraints" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt.new" 2>/dev/null
  echo "$constraints" >"$dir/constraints"
  chmod 644 "$dir/ca.crt.new"
  mv "$dir/ca.crt.new" "$dir/ca.crt"
  echo "lab-ca: created the lab CA (name constraints: $constraints)"
fi
# Server keys were once kept here too (0644): none may stay where the CA key is.
find "$dir" -maxdepth 1 -name '*.key' ! -name ca.key -delete
# The CA certificate alone, for those who only need to trust it (workstations, the prober).
if [ -n "${L7LAB_CA_PUBLIC_DIR:-}" ]; then
  mkdir -p "$L7LAB_CA_PUBLIC_DIR" && install -m 644 "$dir/ca.crt" "$L7LAB_CA_PUBLIC_DIR/ca.crt.new" \
    && mv "$L7LAB_CA_PUBLIC_DIR/ca.crt.new" "$L7LAB_CA_PUBLIC_DIR/ca.crt"
fi
for h in $hosts; do
  name=${h%%,*}
  out="$tls/$name"
  [ -d "$out" ] || { echo "lab-ca: no directory $out for $name's key and certificate (mount its volume there: docker-compose.yml)" >&2; exit 2; }
  if [ -s "$out/$name.crt" ] && cmp -s "$out/ca.crt" "$dir/ca.crt"; then continue; fi
  rm -f "$out/$name.crt"
  san=$(echo "$h" | tr ',' '\n' | sed 's/^/DNS:/' | paste -sd, -)
  openssl req -new -nodes -newkey rsa:2048 -subj "/O=l7lab/CN=$name" \
    -keyout "$out/$name.key.new" -out "$dir/$name.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$dir/$name.ext" -out "$out/$name.crt.new" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
  chown 0:0 "$out/$name.key.new" && chmod 600 "$out/$name.key.new" && mv "$out/$name.key.new" "$out/$name.key"
  install -m 644 "$dir/ca.crt" "$out/ca.crt"
  chmod 644 "$out/$name.crt.new" && mv "$out/$name.crt.new" "$out/$name.crt"
  echo "lab-ca: issued $name ($san)"
done
# Every certificate must verify against the CA (and the public copy be the CA's) before the servers
# that wait for this container start.
[ -z "${L7LAB_CA_PUBLIC_DIR:-}" ] || cmp -s "$dir/ca.crt" "$L7LAB_CA_PUBLIC_DIR/ca.crt"
for h in $hosts; do
  openssl verify -CAfile "$dir/ca.crt" "$tls/${h%%,*}/${h%%,*}.crt" >/dev/null
done
: >"$ready"
exec sleep infinity
