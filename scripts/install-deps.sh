#!/bin/sh
# Installs the Debian 12 packages pyprof needs to build, run and test (debootstrap: for
# tests/pythons/provision, which makes the tree of newer interpreters; g++: its
# libstdc++-12-dev has the -lstdc++ pyprofd links for __cxa_demangle, and the tests
# build a C++ library).
set -eu
PKGS="make gcc g++ clang llvm libbpf-dev libelf-dev libdw-dev zlib1g-dev bpftool pkg-config python3 debootstrap"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install:$missing" >&2
	exit 1
fi
echo "install-deps: installing$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
