#!/bin/sh
# make-payload.sh FILE BYTES NAME: writes BYTES deterministic pseudo-random bytes (AES-128-CTR of
# zeros, keyed by NAME) to FILE. The same NAME and size give the same bytes in every image, so the
# FTP and TFTP servers can serve identical files, and a misplaced block changes the checksum.
set -eu
file=$1 bytes=$2 name=$3
key=$(printf '%s' "l7lab:$name" | sha256sum | cut -c1-32)
head -c "$bytes" /dev/zero | openssl enc -aes-128-ctr -nosalt -K "$key" -iv 00000000000000000000000000000000 > "$file"
[ "$(stat -c %s "$file")" = "$bytes" ]
