#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Markdown table of guest results from one or more console logs
# (KAIA-RESULT lines), one column pair per log, for Documentation/.
#
# usage: tools/results-table.sh LABEL=LOG [LABEL=LOG...]
set -euo pipefail

labels=() logs=()
for a in "$@"; do labels+=("${a%%=*}"); logs+=("${a#*=}"); done

# All test names, in first-seen order.
names=$(for l in "${logs[@]}"; do sed -n -E 's/^(\[ *[0-9.]+\] )?(KAIA-RESULT .*)$/\2/p' "$l" | awk '{print $2}'; done | awk '!seen[$0]++')

printf '| test |'; for l in "${labels[@]}"; do printf ' %s | s |' "$l"; done; printf ' notes |\n'
printf '|---|'; for _ in "${labels[@]}"; do printf -- '---|---:|'; done; printf -- '---|\n'
for n in $names; do
	printf '| %s |' "$n"
	notes=
	for l in "${logs[@]}"; do
		line=$(sed -n -E "s/^(\\[ *[0-9.]+\\] )?(KAIA-RESULT $n .*)\$/\\2/p" "$l" | tail -1 || true)
		if [ -z "$line" ]; then printf ' - | |'; continue; fi
		read -r _ _ st secs reason <<<"$line"
		printf ' %s | %s |' "$st" "$secs"
		[ -n "$reason" ] && [ "$st" != pass ] && notes="${notes:+$notes; }$reason"
	done
	printf ' %s |\n' "$(printf '%s' "$notes" | sed 's/|/\\|/g')"
done
