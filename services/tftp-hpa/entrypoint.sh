#!/bin/sh
# tftpd-hpa logs through syslog: a busybox syslogd in the background copies those lines to stdout,
# so `docker compose logs tftp` shows every request (RRQ, refused WRQ, options).
#
# Options (tftpd(8)):
#   --secure       chroot to the boot root; file names are relative to it
#   --user tftp    drop root after binding port 69
#   --blocksize    the largest blksize granted (RFC 2348): any a client asks, up to 65464
#                  (above 1468 the datagrams are IP-fragmented on Ethernet)
#   --retransmit   the first retransmission after 50 ms, not 1 s: a lab timer, so that a boot
#                  under 10% loss finishes in seconds (RTTs here are well under a millisecond)
#   --verbosity 3  log each request with its options
set -eu
busybox syslogd -n -O /dev/stdout -S &
sleep 0.2
exec /usr/sbin/in.tftpd --foreground --listen --address :69 --ipv4 --secure --user tftp \
  --blocksize 65464 --retransmit 50000 --verbosity 3 /srv/tftp
