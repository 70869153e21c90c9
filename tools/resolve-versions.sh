#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Resolve tools/toolchain.floors against what the archive serves.
#
# usage: resolve-versions.sh FLOORS MADISON KERNEL_SERIES
#
# MADISON holds, for each package of FLOORS (as written there), a line
# "## <package>" followed by the output of "apt-cache madison <package>".
# tools/provision-root.sh makes it from the root's apt lists; the host tests
# (tools/tests/test-resolver.sh) feed recorded ones.
#
# Prints "<package> <version>" per package, in FLOORS order, and exits 0; or
# names every package whose floor is not met (the floor, the suite and what
# the suite serves) on stderr and exits 1.  Needs dpkg (version order).
set -euo pipefail

[ $# = 3 ] || { echo "usage: $0 FLOORS MADISON KERNEL_SERIES" >&2; exit 2; }
floors=$1 madison=$2 kernel=$3

# served PKG SUITE: the versions SUITE serves for PKG, newest first.
served() {
	awk -v p="$1" -v s="$2" '
		/^## / { cur = $2; next }
		cur == p && /Packages$/ {
			n = split($0, f, "|")
			if (n < 3) next
			v = f[2]; gsub(/ /, "", v)
			# "<mirror> <suite>/<component> <arch> Packages"
			split(f[3], w, " ")
			split(w[2], sc, "/")
			if (sc[1] == s) print v
		}' "$madison" | sort -u | sort_versions
}

# Newest first, in dpkg order (insertion sort: lists are short).
sort_versions() {
	local out=() v i j
	while read -r v; do
		[ -n "$v" ] || continue
		out+=("$v")
		i=$((${#out[@]} - 1))
		while [ "$i" -gt 0 ] && dpkg --compare-versions "${out[i]}" gt "${out[i - 1]}"; do
			j=${out[i - 1]}; out[i - 1]=${out[i]}; out[i]=$j
			i=$((i - 1))
		done
	done
	[ ${#out[@]} = 0 ] || printf '%s\n' "${out[@]}"
}

meets() { dpkg --compare-versions "$1" ge "$2"; }

pkgs=() floor=() suite=() group=()
while read -r p f s g _; do
	case "$p" in '' | '#'*) continue ;; esac
	p=${p//@KERNEL@/$kernel} f=${f//@KERNEL@/$kernel}
	pkgs+=("$p") floor+=("$f") suite+=("$s") group+=("${g:-}")
done <"$floors"

declare -A pick
errors=0
unmet() { # pkg floor suite served...
	local p=$1 f=$2 s=$3
	shift 3
	echo "resolve: $p: needs >= $f from $s; $s serves: ${*:-nothing}" >&2
	errors=$((errors + 1))
}

# Single packages.
for i in "${!pkgs[@]}"; do
	[ -z "${group[i]}" ] || continue
	mapfile -t have < <(served "${pkgs[i]}" "${suite[i]}")
	if [ ${#have[@]} -gt 0 ] && meets "${have[0]}" "${floor[i]}"; then
		pick[${pkgs[i]}]=${have[0]}
	else
		unmet "${pkgs[i]}" "${floor[i]}" "${suite[i]}" "${have[@]}"
	fi
done

# Groups: the newest version that every member's suite serves and that meets
# every member's floor.
for g in $(printf '%s\n' "${group[@]}" | sort -u); do
	[ -n "$g" ] || continue
	members=()
	for i in "${!pkgs[@]}"; do [ "${group[i]}" = "$g" ] && members+=("$i"); done
	first=${members[0]}
	chosen=
	for v in $(served "${pkgs[first]}" "${suite[first]}"); do
		all=1
		for i in "${members[@]}"; do
			meets "$v" "${floor[i]}" || { all=0; break; }
			# Not "served | grep -q": under pipefail, grep leaving at the
			# first match can fail the pipeline with SIGPIPE.
			mapfile -t have < <(served "${pkgs[i]}" "${suite[i]}")
			printf '%s\n' "${have[@]}" | grep -xF -- "$v" >/dev/null || { all=0; break; }
		done
		if [ $all = 1 ]; then chosen=$v; break; fi
	done
	if [ -n "$chosen" ]; then
		for i in "${members[@]}"; do pick[${pkgs[i]}]=$chosen; done
	else
		echo "resolve: group '$g': no version served for all of its members at their floors" >&2
		for i in "${members[@]}"; do
			unmet "${pkgs[i]}" "${floor[i]}" "${suite[i]}" $(served "${pkgs[i]}" "${suite[i]}")
		done
	fi
done

[ $errors = 0 ] || exit 1
for p in "${pkgs[@]}"; do echo "$p ${pick[$p]}"; done
