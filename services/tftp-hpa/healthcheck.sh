#!/bin/sh
# Healthy when tftpd-hpa answers a read request on loopback with the file's content.
cd /tmp && rm -f health.cfg \
  && timeout 3 tftp 127.0.0.1 -m octet -c get pxelinux.cfg/default health.cfg \
  && grep -q '^DEFAULT ' health.cfg
