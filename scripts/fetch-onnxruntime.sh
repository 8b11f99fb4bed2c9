#!/usr/bin/env bash
# Fetches ONNX Runtime (no Debian package) into .cache/onnxruntime/ for the ONNX model
# runtime (src/ml/onnx/, cmake/OnnxRuntime.cmake):
#   lib/libonnxruntime.so.1 (+ libonnxruntime.so link)  the official prebuilt linux x64 CPU
#                                                       library, from npm `onnxruntime-node`
#   include/*.h                                         the C and C++ API headers, from npm
#                                                       `com.github.asus4.onnxruntime`
# Both tarballs come from the npm registry with `npm pack` and are checked against the sha512
# pinned below before anything is extracted. The C API is versioned: the library serves every
# API version up to its own, so the API-29 headers work with the 1.30 library.
#
# Safe to run again: it does nothing when .cache/onnxruntime/.strata-fetched matches the pins.
# Concurrent runs (parallel builds) are serialized with a lock file.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="$root/.cache/onnxruntime"

# Pins. To move to another version: `npm view <pkg>@<version> dist.integrity`, convert the
# base64 after "sha512-" to hex (base64 -d | xxd -p -c0), and check that the new library
# still loads and runs the tests (ctest -R onnx).
runtime_pkg=onnxruntime-node
runtime_version=1.30.0
runtime_sha512=b7086cd42d82fc1164cf5c9ce4e634288536194aba0d444eee10f86f1e50d90cb79c0309c115d6f31537355733136f5503d96894b3987a9a03f1f8d318e7c8ab
runtime_member=package/bin/napi-v6/linux/x64/libonnxruntime.so.1
headers_pkg=com.github.asus4.onnxruntime
headers_version=0.4.9
headers_sha512=064cf176e499f4891e0cfe90f25cf64c553689eee1492bd2ed921fccca28131a2ad02373267bae19a509ec8b288c182a3b8a2e0f58d76a1f0e63225b08ddbd16
headers_dir='package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers'
headers=(onnxruntime_c_api.h onnxruntime_cxx_api.h onnxruntime_cxx_inline.h onnxruntime_float16.h
         onnxruntime_error_code.h onnxruntime_ep_c_api.h onnxruntime_run_options_config_keys.h
         onnxruntime_session_options_config_keys.h cpu_provider_factory.h)

want="$runtime_pkg@$runtime_version $runtime_sha512 $headers_pkg@$headers_version $headers_sha512"
stamp="$dest/.strata-fetched"
fetched() { [[ -f $stamp && $(cat "$stamp") == "$want" && -f $dest/lib/libonnxruntime.so.1 ]]; }

if fetched; then
  echo "fetch-onnxruntime: ONNX Runtime $runtime_version present (.cache/onnxruntime)"
  exit 0
fi

mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9
if fetched; then  # another run fetched it while this one waited for the lock
  echo "fetch-onnxruntime: ONNX Runtime $runtime_version present (.cache/onnxruntime)"
  exit 0
fi

if ! command -v npm >/dev/null; then
  echo "fetch-onnxruntime: npm is missing; run scripts/deps.sh first (it installs Node.js and npm)" >&2
  exit 1
fi

work=$(mktemp -d "$dest/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# pack <pkg> <version> <sha512 hex>: downloads the tarball into $work, checks it and prints
# its path (the only thing on stdout).
pack() {
  local pkg=$1 version=$2 sha512=$3 log="$work/npm-pack.log" file actual
  echo "fetch-onnxruntime: downloading $pkg@$version from $(npm config get registry 2>/dev/null)" >&2
  if ! (cd "$work" && npm pack "$pkg@$version" --loglevel=error --no-fund --no-audit >"$work/name" 2>"$log"); then
    echo "fetch-onnxruntime: 'npm pack $pkg@$version' failed (is the npm registry reachable?" \
         "see 'npm config get registry' and any proxy settings):" >&2
    sed 's/^/  /' "$log" >&2
    exit 1
  fi
  file="$work/$(tail -n1 "$work/name")"
  actual=$(sha512sum "$file" | cut -d' ' -f1)
  if [[ $actual != "$sha512" ]]; then
    echo "fetch-onnxruntime: $pkg@$version: sha512 mismatch; refusing to use it." >&2
    echo "  expected $sha512" >&2
    echo "  got      $actual" >&2
    exit 1
  fi
  printf '%s' "$file"
}

runtime_tgz=$(pack "$runtime_pkg" "$runtime_version" "$runtime_sha512")
headers_tgz=$(pack "$headers_pkg" "$headers_version" "$headers_sha512")

new="$work/out"
mkdir -p "$new/lib" "$new/include" "$work/x"
tar --no-same-owner -xzf "$runtime_tgz" -C "$work/x" "$runtime_member"
mv "$work/x/$runtime_member" "$new/lib/libonnxruntime.so.1"
ln -s libonnxruntime.so.1 "$new/lib/libonnxruntime.so"
tar --no-same-owner -xzf "$headers_tgz" -C "$work/x" "${headers[@]/#/$headers_dir/}" package/LICENSE \
  package/ThirdPartyNotices.txt
mv "${headers[@]/#/$work/x/$headers_dir/}" "$new/include/"
mv "$work/x/package/LICENSE" "$work/x/package/ThirdPartyNotices.txt" "$new/"
grep -q '#define ORT_API_VERSION' "$new/include/onnxruntime_c_api.h"
echo "$want" >"$new/.strata-fetched"

# Swap in the new tree; the tarballs (about 260 MB) go with $work, npm keeps its own cache.
rm -rf "$dest/lib" "$dest/include" "$dest/LICENSE" "$dest/ThirdPartyNotices.txt" "$stamp"
mv "$new/lib" "$new/include" "$new/LICENSE" "$new/ThirdPartyNotices.txt" "$dest/"
mv "$new/.strata-fetched" "$stamp"
echo "fetch-onnxruntime: ONNX Runtime $runtime_version (C API $(sed -n 's/^#define ORT_API_VERSION //p' \
  "$dest/include/onnxruntime_c_api.h") headers) in .cache/onnxruntime"
