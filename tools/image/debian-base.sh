#!/usr/bin/env bash
# debian-base.sh TAG [TAG...]: a Debian 12 base image made with debootstrap from the mirror apt
# already uses, imported under every TAG, for builders that reach Debian's mirror but no image
# registry. Then: make image BASE_IMAGE=TAG BUILD_IMAGE=TAG.
# Needs root, debootstrap and podman (or docker with a daemon).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 TAG [TAG...]" >&2; exit 2; }

# The first Debian URL of apt's own sources (deb822 .sources files or one-line sources.list).
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *\([^ ]*\).*/\1/p' | grep -v security | head -n 1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}

if command -v podman >/dev/null 2>&1; then builder=podman; else builder=docker; fi
rootfs=$(mktemp -d "${TMPDIR:-/tmp}/debian-base.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT
echo "debian-base: debootstrap --variant=minbase bookworm from $mirror"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || { tail -n 20 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
# As the public slim image: no package files and no package lists.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | "$builder" import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' - "$1" >/dev/null
for tag in "${@:2}"; do "$builder" tag "$1" "$tag"; done
echo "debian-base: imported as $*"
