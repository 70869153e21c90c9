#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: build one kernel flavour (Image, modules, UAPI
# headers), incrementally, cached by kernel version + patches + config.
#
# usage: build-kernel.sh FLAVOUR
#        (stock | debug | rust | rust-debug | bench-stock | bench-rust
#         | bench-stock-scale | bench-rust-scale)
. /kaia/src/tools/kenv.sh

flavour=$1
src=$(src_dir "$flavour")
out=$(out_dir "$flavour")
t0=$(date +%s)

say() { printf '[kvm-aia] %s: %s\n' "$flavour" "$*" >&2; }

if [ -f "$out/.kaia-built" ]; then
	say "kernel cached in $out"
	exit 0
fi

# 1. Pristine source, extracted once from Debian's linux-source-<series>.
stock=$KAIA_CACHE/src/linux-$LINUX_VERSION
if [ ! -f "$stock/.kaia-extracted" ]; then
	say "extracting $LINUX_TARBALL"
	rm -rf "$stock" "$stock.tmp"
	mkdir -p "$stock.tmp"
	tar -xf "$LINUX_TARBALL" -C "$stock.tmp" --strip-components=1
	touch "$stock.tmp/.kaia-extracted"
	mv "$stock.tmp" "$stock"
	# Only one pristine tree is kept.
	for d in "$KAIA_CACHE"/src/linux-*; do
		case $d in "$stock" | "$stock"-aia-*) ;; *) rm -rf "$d" ;; esac
	done
fi

# 2. Patched source: a copy (mtimes kept) with the KVM core series applied.
if flavour_patched "$flavour" && [ ! -f "$src/.kaia-patched" ]; then
	series=$(flavour_series "$flavour") || exit 1
	say "applying $(echo "$series" | wc -l) patches into $src"
	rm -rf "$src" "$src.tmp"
	cp -a "$stock" "$src.tmp"
	for p in $series; do
		# Any fuzz or offset is shown; a hunk that does not apply is named
		# (file and hunk) and fails the build.
		if ! res=$(patch -d "$src.tmp" -p1 --no-backup-if-mismatch <"$p" 2>&1); then
			echo "$res" | grep -v '^patching file' >&2
			say "patch $(basename "$p") does not apply to Linux $LINUX_VERSION"
			exit 1
		fi
		echo "$res" | grep -v '^patching file' | sed "s|^|  $(basename "$p"): |" >&2 || true
	done
	touch "$src.tmp/.kaia-patched"
	mv "$src.tmp" "$src"
fi

# 3. Seed a patched flavour's objects from its unpatched twin (same config),
#    so only what the patches touch is rebuilt.
twin=
case $flavour in rust | bench-stock) twin=stock ;; rust-debug) twin=debug ;; bench-rust) twin=rust ;; esac
if [ -n "$twin" ] && [ ! -e "$out/.config" ] && [ -f "$(out_dir "$twin")/.kaia-built" ]; then
	say "seeding from the $twin build"
	rm -rf "$out"
	cp -a "$(out_dir "$twin")" "$out"
	rm -f "$out/.kaia-built"
	# The twin's objects are newer than this source tree when the twin was
	# rebuilt (a config change) after the tree was patched: make would
	# keep the twin's objects of the files the series changes. Make those
	# files newer than any object.
	flavour_series "$flavour" | xargs sed -n 's|^+++ b/||p' | sort -u | while read -r f; do
		[ -f "$src/$f" ] && touch "$src/$f"
	done
fi
# Drop builds of this flavour with other keys (old configs, old patches);
# only "<flavour>-<key>": "rust-*" must not take rust-debug's.
for d in "$KAIA_CACHE"/build/"$flavour"-*; do
	[[ ${d##*/"$flavour"-} =~ ^[0-9a-f]{12}$ ]] || continue
	[ "$d" = "$out" ] || rm -rf "$d"
done

# 4. Configure: allnoconfig + fragments, then check every fragment line.
frag=$(mktemp)
cat $(flavour_fragments "$flavour") >"$frag"
if [ ! -f "$out/.config" ] || [ "$frag" -nt "$out/.config" ]; then
	kmake "$flavour" -s KCONFIG_ALLCONFIG="$frag" allnoconfig
fi
# A later fragment may set an option again (configs/scale.config):
# Kconfig takes the last value, and only that one is checked.
bad=0
awk -F= '/^CONFIG_[A-Za-z0-9_]+=/ { v[$1] = $0; if (!($1 in o)) o[$1] = n++ }
	END { for (k in o) l[o[k]] = v[k]; for (i = 0; i < n; i++) print l[i] }' "$frag" >"$frag.last"
mv "$frag.last" "$frag"
while IFS= read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	opt=${line%%=*} val=${line#*=}
	if [ "$val" = n ]; then
		grep -q "^$opt=" "$out/.config" && { say "config: $opt should be off"; bad=1; }
	else
		grep -qx "$opt=$val" "$out/.config" ||
			{ say "config: wanted $line, got '$(grep "^$opt=\|# $opt " "$out/.config")'"; bad=1; }
	fi
done <"$frag"
rm -f "$frag"
[ $bad = 0 ] || { say "config fragment not honoured (unmet dependencies?)"; exit 1; }

# 5. Build.
say "building Image + modules with $JOBS jobs ($(rustc --version))"
kmake "$flavour" -s Image modules
kmake "$flavour" -s headers_install INSTALL_HDR_PATH=/kaia/out/usr-headers
touch "$out/.kaia-built"
say "kernel built in $(( $(date +%s) - t0 )) s: $out"
