#!/usr/bin/env bash
# Installs the Debian packages pipe builds and runs with, when they are missing.
# ocl-icd-opencl-dev: Debian's oneDNN is built with an OpenCL GPU runtime, and its CMake
# package config requires the OpenCL headers even for CPU-only use.
# Usage: scripts/setup.sh [--bench | --fuzz]   (--bench adds Debian's PyTorch for the reference
# timings; --fuzz adds clang and libFuzzer for make fuzz)
set -euo pipefail
packages=(cmake g++ make pkg-config git libdnnl-dev libopencv-dev libyaml-cpp-dev libsqlitecpp-dev
          libsqlite3-dev libfmt-dev catch2 nlohmann-json3-dev libcairo2-dev libxxhash-dev
          fonts-dejavu-core zlib1g-dev libdeflate-dev libspng-dev libjpeg62-turbo-dev ocl-icd-opencl-dev)
if [ "${1:-}" = "--bench" ]; then packages+=(python3-torch python3-numpy); fi
if [ "${1:-}" = "--fuzz" ]; then packages+=(clang-14 libfuzzer-14-dev libclang-rt-14-dev clang); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "pipe: error: missing Debian packages: ${missing[*]}" >&2
  echo "  run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 2
fi
echo "pipe: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
