#!/usr/bin/env bash
# Fetches the web console's one third-party library into web/vendor/ (ignored by git):
#   uPlot.iife.min.js, uPlot.min.css, uPlot.LICENSE   uPlot (MIT), the console's charts, from
#                                                     the npm package `uplot`
# The tarball comes from the npm registry with `npm pack` into .cache/web/ and is checked
# against the sha512 pinned below before anything is extracted. The console has no build step:
# the hub serves web/ as it is (api.console in hub.yaml).
#
# Safe to run again: it does nothing when web/vendor/.strata-fetched matches the pin, and it
# does not download again while the checked tarball is in .cache/web/. Concurrent runs are
# serialized with a lock file.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="$root/.cache/web"
dest="$root/web/vendor"

# Pin. To move to another version: `npm view uplot@<version> dist.integrity`, convert the
# base64 after "sha512-" to hex (base64 -d | xxd -p -c0), and run the console's browser test
# (ctest -R console).
pkg=uplot
version=1.6.32
sha512=2883159c6ebccefbb95d751b0b82d010f9e1c0ec41b8bc96d401eda66e882935c89a46cb824332fa369b8cb8122cc6ac36e186cd09bf7a9ded3a4c93c6989023
files=(uPlot.iife.min.js uPlot.min.css)

want="$pkg@$version $sha512"
stamp="$dest/.strata-fetched"
fetched() {
  [[ -f $stamp && $(cat "$stamp") == "$want" ]] || return 1
  local f
  for f in "${files[@]}"; do [[ -f $dest/$f ]] || return 1; done
}

if fetched; then
  echo "fetch-web-deps: uPlot $version present (web/vendor)"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if fetched; then  # another run fetched it while this one waited for the lock
  echo "fetch-web-deps: uPlot $version present (web/vendor)"
  exit 0
fi

tgz="$cache/$pkg-$version.tgz"
checked() { [[ -f $tgz && $(sha512sum "$tgz" | cut -d' ' -f1) == "$sha512" ]]; }

work=$(mktemp -d "$cache/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

if ! checked; then
  if ! command -v npm >/dev/null; then
    echo "fetch-web-deps: npm is missing; run scripts/deps.sh first (it installs Node.js and npm)" >&2
    exit 1
  fi
  echo "fetch-web-deps: downloading $pkg@$version from $(npm config get registry 2>/dev/null)"
  if ! (cd "$work" && npm pack "$pkg@$version" --loglevel=error --no-fund --no-audit \
          >"$work/name" 2>"$work/npm-pack.log"); then
    echo "fetch-web-deps: 'npm pack $pkg@$version' failed (is the npm registry reachable?" \
         "see 'npm config get registry' and any proxy settings):" >&2
    sed 's/^/  /' "$work/npm-pack.log" >&2
    exit 1
  fi
  got="$work/$(tail -n1 "$work/name")"
  actual=$(sha512sum "$got" | cut -d' ' -f1)
  if [[ $actual != "$sha512" ]]; then
    echo "fetch-web-deps: $pkg@$version: sha512 mismatch; refusing to use it." >&2
    echo "  expected $sha512" >&2
    echo "  got      $actual" >&2
    exit 1
  fi
  mv "$got" "$tgz"
fi

tar --no-same-owner -xzf "$tgz" -C "$work" "${files[@]/#/package/dist/}" package/LICENSE
mkdir -p "$dest"
rm -f "$stamp"
for f in "${files[@]}"; do mv "$work/package/dist/$f" "$dest/$f"; done
mv "$work/package/LICENSE" "$dest/uPlot.LICENSE"
echo "$want" >"$stamp"
echo "fetch-web-deps: uPlot $version in web/vendor"
