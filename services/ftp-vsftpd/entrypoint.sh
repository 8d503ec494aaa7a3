#!/bin/sh
# vsftpd in the foreground. It cannot write its log to a pipe, so it writes a file and tail copies
# each line to stdout: `docker compose logs ftp` shows every command, reply and transfer.
set -eu
: > /var/log/vsftpd.log
tail -n 0 -F /var/log/vsftpd.log &
exec /usr/sbin/vsftpd /etc/vsftpd.conf
