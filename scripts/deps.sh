#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/debian-packages.txt that are missing, then the
# npm test peers (scripts/npm-deps.sh), then the web console's uPlot (scripts/fetch-web-deps.sh)
# and ONNX Runtime (scripts/fetch-onnxruntime.sh).
# Safe to run again: it does nothing when everything is present.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/debian-packages.txt" | grep -v '^$')
missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
# Debian's nodejs ships npm as a package of its own; a Node.js that bundles npm (and conflicts
# with that package) is used as it is.
if ! command -v npm >/dev/null; then
  wanted+=(npm)
  missing+=(npm)
fi

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#wanted[@]} Debian packages present"
  "$here/npm-deps.sh"
  "$here/fetch-web-deps.sh"
  exec "$here/fetch-onnxruntime.sh"
fi

echo "deps: installing ${#missing[@]} missing Debian packages: ${missing[*]}"
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    echo "deps: need root to install packages, and sudo is not available." >&2
    echo "      Run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: done"
"$here/npm-deps.sh"
"$here/fetch-web-deps.sh"
exec "$here/fetch-onnxruntime.sh"
