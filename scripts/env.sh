# Sourced by the project's scripts: puts the project's own Node 24 first on PATH when
# scripts/prepare-host.sh had to fetch one because the host's Node is older than 22.
_l7lab_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -x "$_l7lab_root/.cache/node/bin/node" ]; then
  case ":$PATH:" in
    *":$_l7lab_root/.cache/node/bin:"*) ;;
    *) export PATH="$_l7lab_root/.cache/node/bin:$PATH" ;;
  esac
fi
unset _l7lab_root

# The official Node binary trusts only its own bundled CA list, unlike Debian's Node, which uses the
# system store. Trust the system store too (on a host behind a TLS-inspecting proxy, it holds the
# proxy's CA), so npm reaches the registry under either Node.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
