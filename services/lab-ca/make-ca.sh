#!/bin/sh
# Creates, once, the lab CA and one certificate per server in $L7LAB_CA_DIR (default /ca).
# L7LAB_CA_HOSTS lists the servers: "name[,altname...] ..." (the first name is the file name).
# The servers start beside this container and wait for their certificate file to exist, so every
# certificate is written aside and renamed into place: a file that exists is complete, and its key
# was written before it.
set -eu
dir=${L7LAB_CA_DIR:-/ca}
hosts=${L7LAB_CA_HOSTS:?L7LAB_CA_HOSTS must list the servers}

# The health check looks for this file, written once every certificate is issued and verified.
ready=/run/l7lab-ca.ready
rm -f "$ready"

mkdir -p "$dir"
umask 022
if [ ! -s "$dir/ca.crt" ]; then
  openssl req -x509 -new -nodes -newkey rsa:2048 -days 3650 -sha256 \
    -subj "/O=l7lab/CN=l7lab lab CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt.new" 2>/dev/null
  chmod 600 "$dir/ca.key"
  mv "$dir/ca.crt.new" "$dir/ca.crt"
  echo "lab-ca: created the lab CA"
fi
# The CA certificate alone, for those who only need to trust it (workstations, the orchestrator).
if [ -n "${L7LAB_CA_PUBLIC_DIR:-}" ]; then
  mkdir -p "$L7LAB_CA_PUBLIC_DIR" && cp "$dir/ca.crt" "$L7LAB_CA_PUBLIC_DIR/ca.crt.new" \
    && mv "$L7LAB_CA_PUBLIC_DIR/ca.crt.new" "$L7LAB_CA_PUBLIC_DIR/ca.crt"
fi
for h in $hosts; do
  name=${h%%,*}
  [ -s "$dir/$name.crt" ] && continue
  san=$(echo "$h" | tr ',' '\n' | sed 's/^/DNS:/' | paste -sd, -)
  openssl req -new -nodes -newkey rsa:2048 -subj "/O=l7lab/CN=$name" \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.crt.new" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
  chmod 644 "$dir/$name.key"   # read by daemons that drop privileges; a lab key, not a secret
  mv "$dir/$name.crt.new" "$dir/$name.crt"
  echo "lab-ca: issued $name ($san)"
done
# Every certificate must verify against the CA (and the public copy be the CA's) before the servers
# that wait for this container start.
[ -z "${L7LAB_CA_PUBLIC_DIR:-}" ] || cmp -s "$dir/ca.crt" "$L7LAB_CA_PUBLIC_DIR/ca.crt"
for h in $hosts; do
  openssl verify -CAfile "$dir/ca.crt" "$dir/${h%%,*}.crt" >/dev/null
done
: >"$ready"
exec sleep infinity
