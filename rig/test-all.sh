#!/usr/bin/env bash
# Runs every test: installs what is missing, builds (static + ASan/UBSan), runs the unit suites.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cmake >/dev/null || ! dpkg -s libyaml-cpp-dev libproc2-dev libc-ares-dev libgtest-dev nlohmann-json3-dev libspdlog-dev libboost-filesystem-dev ninja-build >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q cmake ninja-build g++ libyaml-cpp-dev libproc2-dev \
    libc-ares-dev libgtest-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libboost-filesystem-dev file
fi
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build/release
ctest --test-dir build/release --output-on-failure -j2
