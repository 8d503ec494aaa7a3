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
