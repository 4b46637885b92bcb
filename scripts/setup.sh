#!/usr/bin/env bash
# Installs what a fresh machine lacks for the engine: Debian's chromium (its SwiftShader Vulkan ICD is one of
# the two software adapters), the Vulkan loader, Mesa's EGL/GLES (llvmpipe, the other adapter), and npm deps.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
[ -e /usr/lib/chromium/vk_swiftshader_icd.json ] || missing+=(chromium)
for pkg in libvulkan1 libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is absent or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
