#!/bin/sh
# The diskless PC. Its NIC is a tap bridged with this container's campus interface, inside the
# container's own network namespace: the VM is a host of its own on the campus L2, with its own MAC
# address and the address Kea leases it. The container's own campus address is given up (it would
# only answer ARP for an address nobody uses). QEMU's serial console is standard output, so
# `docker compose logs -f pxe-client` shows the boot; QEMU exits when the VM powers off (or, with
# -no-reboot, when it would reboot, as after a kernel panic), and the container with it.
#
# Environment (docker-compose.yml):
#   PXE_MAC    the NIC's MAC address (default 52:54:00:12:34:56, which has its own PXELINUX file)
#   PXE_UUID   the machine's SMBIOS UUID, which iPXE sends in DHCP option 97 and PXELINUX looks for
#   PXE_ACCEL  auto (default): KVM when /dev/kvm works and the processor has VT-x or AMD-V, else TCG
#              (QEMU's emulator); kvm or tcg to choose
#   PXE_MEMORY_MB  the VM's memory (default 256)
set -eu
MAC=${PXE_MAC:-52:54:00:12:34:56}
UUID=${PXE_UUID:-8a6f2d3e-1c4b-4e5f-9a7b-0c1d2e3f4a5b}
MEM=${PXE_MEMORY_MB:-256}
ACCEL=${PXE_ACCEL:-auto}

case $MAC in
  [0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]) ;;
  *) echo "pxe-client: PXE_MAC=$MAC is not a MAC address (like 52:54:00:12:34:56)" >&2; exit 2 ;;
esac
case $ACCEL in auto|kvm|tcg) ;; *) echo "pxe-client: PXE_ACCEL=$ACCEL: use auto, kvm or tcg" >&2; exit 2 ;; esac

# The campus interface: the container's first (and only) Ethernet interface, eth0.
uplink=$(ip -o link show | sed -n 's/^[0-9]*: \(eth[0-9]*\)@.*/\1/p' | head -n1)
[ -n "$uplink" ] || { echo "pxe-client: no network interface to bridge" >&2; exit 1; }
ip link add br0 type bridge
ip link set br0 up
ip tuntap add dev tap0 mode tap
ip link set tap0 master br0 up
ip addr flush dev "$uplink"
ip link set "$uplink" master br0 up
# The lab is IPv4: the bridge passes the VM's IPv4 and ARP only. Its IPv6 (iPXE's and Linux's
# link-local addresses, router solicitations) would otherwise reach every campus host and the
# host's own bridge, which has a link-local address.
nft -f - <<'NFT'
table bridge pxe-client {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "tap0" ether type != { ip, arp } counter drop
  }
}
NFT

# The device node is not passed in (it may not exist on the host); the cgroup rule allows it.
if [ "$ACCEL" != tcg ] && [ ! -e /dev/kvm ]; then mknod -m 600 /dev/kvm c 10 232 2>/dev/null || true; fi
if [ "$ACCEL" = auto ]; then
  ACCEL=tcg
  if grep -qw -E 'vmx|svm' /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ] \
     && (exec 3<>/dev/kvm) 2>/dev/null; then
    ACCEL=kvm
  fi
fi
cpu=qemu64
[ "$ACCEL" = kvm ] && cpu=host
echo "pxe-client: booting from the network: MAC $MAC, UUID $UUID, $MEM MiB, $ACCEL ($cpu), NIC virtio-net bridged to $uplink"
# QEMU opens the tap and /dev/kvm as root, then runs as nobody (no capabilities left) under its
# seccomp sandbox. Should the firmware find nothing to boot, SeaBIOS reboots after 10 s, which
# -no-reboot turns into QEMU's exit.
exec qemu-system-x86_64 -accel "$ACCEL" -cpu "$cpu" -machine pc -m "$MEM" \
  -nographic -monitor none -serial stdio -uuid "$UUID" -boot order=n,reboot-timeout=10000 -no-reboot \
  -runas nobody -sandbox on,obsolete=deny,spawn=deny,resourcecontrol=deny \
  -netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
  -device virtio-net-pci,netdev=n0,mac="$MAC"
