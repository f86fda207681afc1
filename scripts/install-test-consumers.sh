#!/bin/sh
# Installs what the tests use beyond the build: systemd-analyze for the unit
# checks, tmux for pyprofctl top in a real terminal, python3-numpy and python3.11-dbg
# (debug files) for test_native,
# and the real consumers of
# pyprof's output formats for
# tests/integration/test_consumers.py: go tool pprof, headless Chromium, and
# (with npm, into $OUTPUT/npm, never committed) the speedscope web app and
# playwright-core to drive Chromium; Prometheus and promtool for
# tests/integration/test_http.py, which runs its own prometheus (the package's
# service is kept from starting here).  Idempotent; downloads no browser.
set -eu
cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-build}
NPM_PREFIX="$OUTPUT/npm"
# Versions checked with tests/integration/test_consumers.py; playwright-core
# 1.61 is the newest that runs on Debian 12's Node.js 18.
NPM_PKGS="speedscope@1.25.0 playwright-core@1.61.1"

# package:command pairs.  A command already on PATH counts as installed: a
# nodejs from elsewhere (e.g. NodeSource) bundles npm and conflicts with
# Debian's npm package, which must then not be installed over it.
missing=""
for pc in golang-go:go chromium:chromium nodejs:node npm:npm systemd:systemd-analyze tmux:tmux \
	  prometheus:promtool; do
	p=${pc%%:*}
	c=${pc#*:}
	if command -v "$c" >/dev/null 2>&1; then
		continue
	fi
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		continue
	fi
	missing="$missing $p"
done
# numpy for /usr/bin/python3.11 (tests/integration/test_native.py: numpy's own native
# frames under the lines that call it): a module, no command.
if ! dpkg-query -W -f='${Status}' python3-numpy 2>/dev/null | grep -q "install ok installed"; then
	missing="$missing python3-numpy"
fi
# The debug files of Debian's python3.11 and its extension modules, by build-id under
# /usr/lib/debug (test_native.py: json's and _sre's static functions named): a package of
# files, no command.  It pulls python3.11 to its own version, the archive's newest.
if ! dpkg-query -W -f='${Status}' python3.11-dbg 2>/dev/null | grep -q "install ok installed"; then
	missing="$missing python3.11-dbg"
fi
# Django for /usr/bin/python3.11: make bench's ordinary web workload (a Django page,
# tests/bench/workloads/django_render.py), a module, no command.
if ! dpkg-query -W -f='${Status}' python3-django 2>/dev/null | grep -q "install ok installed"; then
	missing="$missing python3-django"
fi
# clang's libFuzzer and sanitizer runtimes for `make fuzz`: a library, no command.
# (gcc's ASan/UBSan runtimes for `make asan` come with gcc.)
if ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed"; then
	missing="$missing libclang-rt-14-dev"
fi
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-test-consumers: need root to install:$missing" >&2
		exit 1
	fi
	echo "install-test-consumers: installing$missing"
	apt-get update -qq
	# No service started by the install (a test host need not run prometheus on :9090):
	# a policy-rc.d of our own, unless the host has one.
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing ||
		{ [ -z "$policy" ] || rm -f "$policy"; exit 1; }
	[ -z "$policy" ] || rm -f "$policy"
else
	echo "install-test-consumers: Debian packages present"
fi

have_npm_pkgs() {
	for spec in $NPM_PKGS; do
		name=${spec%@*}
		want=${spec##*@}
		pj="$NPM_PREFIX/node_modules/$name/package.json"
		[ -f "$pj" ] || return 1
		got=$(node -p 'require(require("path").resolve(process.argv[1])).version' "$pj" \
			2>/dev/null) || return 1
		[ "$got" = "$want" ] || return 1
	done
}

if have_npm_pkgs; then
	echo "install-test-consumers: npm packages present in $NPM_PREFIX"
	exit 0
fi
echo "install-test-consumers: npm install $NPM_PKGS into $NPM_PREFIX"
mkdir -p "$NPM_PREFIX"
# playwright-core never downloads browsers; the variable guards anyway.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --save-exact \
	--prefix "$NPM_PREFIX" $NPM_PKGS
