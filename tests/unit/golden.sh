#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Golden tests of the renderers: every tests/golden/*.folded rendered as svg,
# speedscope, pprof, json (with and without metadata) and folded must equal
# the recorded tests/golden/out/ byte for byte.  pprof is compared decompressed
# (the gzip bytes depend on the zlib version), after checking that two renders
# give the same gzip bytes.  Prints "ok NAME" / "FAIL NAME" per output.
#   tests/unit/golden.sh            compare ($OUTPUT/tests/fmt_render, then the
#                                   $ASAN_OUTPUT one when it is built)
#   tests/unit/golden.sh --record   write tests/golden/out/ from $OUTPUT's build
#                                   (only on purpose: the files are the reference)
set -u
cd "$(dirname "$0")/../.."
OUTPUT=${OUTPUT:-build}
dir=tests/golden
formats="svg speedscope pprof json folded"
# name:arguments of fmt_render after the format
variants=("plain:" "meta:99 4242 app 60 60500000000 1764590000000000000")
# Inputs of a time view (ns, not samples: wall.folded) are rendered as such.
wall_variants=("wall:99 4242 app 60 60500000000 1764590000000000000 wall 10101010")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# render HELPER INPUT FORMAT ARGS OUTFILE: the pprof output is decompressed.
render() {
	local helper=$1 in=$2 fmt=$3 args=$4 out=$5
	# shellcheck disable=SC2086
	"$helper" "$fmt" $args <"$in" >"$out.raw" || return 1
	if [ "$fmt" = pprof ]; then
		"$helper" "$fmt" $args <"$in" >"$out.again" || return 1
		cmp -s "$out.raw" "$out.again" || { echo "pprof output differs between runs"; return 1; }
		gzip -dc <"$out.raw" >"$out" || return 1
	else
		mv "$out.raw" "$out"
	fi
}

run() {
	local helper=$1 prefix=$2 in base v name args fmt ref
	if [ ! -x "$helper" ]; then
		echo "FAIL ${prefix}golden: $helper is not built (make helpers)"
		return
	fi
	for in in "$dir"/*.folded; do
		base=$(basename "$in" .folded)
		vs=("${variants[@]}")
		[ "$base" = wall ] && vs=("${wall_variants[@]}")
		for v in "${vs[@]}"; do
			name=${v%%:*}
			args=${v#*:}
			for fmt in $formats; do
				# folded output has no metadata: one variant is enough
				[ "$fmt" = folded ] && [ "$name" = meta ] && continue
				ref="$dir/out/$base.$name.$fmt"
				[ "$fmt" = pprof ] && ref="$ref.pb"
				if [ "$record" = 1 ]; then
					render "$helper" "$in" "$fmt" "$args" "$ref" || exit 1
					rm -f "$ref.raw" "$ref.again"
					continue
				fi
				if ! render "$helper" "$in" "$fmt" "$args" "$tmp/out"; then
					echo "FAIL ${prefix}golden:$base.$name.$fmt: fmt_render failed"
				elif [ ! -e "$ref" ]; then
					echo "FAIL ${prefix}golden:$base.$name.$fmt: no $ref"
				elif ! cmp "$ref" "$tmp/out"; then
					echo "FAIL ${prefix}golden:$base.$name.$fmt: differs from $ref"
				else
					echo "ok ${prefix}golden:$base.$name.$fmt"
				fi
			done
		done
	done
}

record=0
if [ "${1:-}" = --record ]; then
	record=1
	mkdir -p "$dir/out"
	run "$OUTPUT/tests/fmt_render" ""
	exit 0
fi
run "$OUTPUT/tests/fmt_render" ""
if [ -n "${ASAN_OUTPUT:-}" ] && [ -x "$ASAN_OUTPUT/tests/fmt_render" ]; then
	run "$ASAN_OUTPUT/tests/fmt_render" "asan:"
fi
