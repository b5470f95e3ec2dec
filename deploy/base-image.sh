#!/usr/bin/env bash
# Makes the Debian base image that deploy/Dockerfile and deploy/opa.Dockerfile build FROM, without
# a registry: `debootstrap` from the Debian mirror apt already uses, then `docker import`.
#
#   deploy/base-image.sh            prints the image reference (bpfopa-base:<key>), also tagged
#                                   bpfopa-base:local for the compose file
#
# The root filesystem holds what no `docker build` can fetch here (Debian's python3-bpfcc: BCC is
# not on PyPI) and what OPA's dynamically linked binary needs (glibc). debootstrap takes minutes,
# so its tarball is cached under $BPFOPA_CACHE (default /var/cache/bpfopa), keyed on everything
# that decides its content: mirror, suite, architecture, package list and this script. A second
# run with the image present returns at once; with only the tarball present it re-imports.
set -euo pipefail

CACHE="${BPFOPA_CACHE:-/var/cache/bpfopa}"
SUITE="${BPFOPA_BASE_SUITE:-bookworm}"
ARCH="$(dpkg --print-architecture)"
# python3-bpfcc: BCC and its Python bindings; python3-venv: the virtualenv bpfopa installs into
# (system site-packages, for bcc); ca-certificates: pip's TLS to PyPI during `docker build`.
PACKAGES="python3-bpfcc,python3-venv,ca-certificates"

say() { printf 'base-image: %s\n' "$*" >&2; }
die() { printf 'base-image: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "debootstrap and docker import need root"
command -v debootstrap >/dev/null || die "debootstrap missing (scripts/setup.sh installs it)"
command -v docker >/dev/null || die "docker missing (scripts/setup.sh installs docker.io)"

# The first Debian (not security) mirror apt is configured with, deb822 or one-line format.
mirror_from_apt() {
    local uri
    uri="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^URIs:/ {print $2}' | grep -v -- '-security' | head -n 1 || true)"
    if [ -z "$uri" ]; then
        uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '$1 == "deb" && $2 !~ /^\[/ {print $2} $1 == "deb" && $2 ~ /^\[/ {print $3}' \
            | grep -v -- '-security' | head -n 1 || true)"
    fi
    printf '%s' "${uri:-http://deb.debian.org/debian}"
}
MIRROR="${BPFOPA_DEBIAN_MIRROR:-$(mirror_from_apt)}"

key="$(printf '%s\n' "$MIRROR" "$SUITE" "$ARCH" "$PACKAGES" "$(cat "${BASH_SOURCE[0]}")" \
    | sha256sum | cut -c1-12)"
REF="bpfopa-base:$key"
TARBALL="$CACHE/base-$SUITE-$ARCH-$key.tar"

if ! docker image inspect "$REF" >/dev/null 2>&1; then
    if [ ! -s "$TARBALL" ]; then
        mkdir -p "$CACHE"
        work="$(mktemp -d "$CACHE/debootstrap.XXXXXX")"
        trap 'rm -rf "$work"' EXIT
        say "debootstrap $SUITE ($ARCH) from $MIRROR with $PACKAGES (a few minutes, once)"
        debootstrap --variant=minbase --arch="$ARCH" --include="$PACKAGES" \
            "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
            || die "debootstrap failed: $(tail -n 20 "$work/debootstrap.log")"
        # Nothing in the image needs apt's lists or the downloaded .debs.
        rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
        tar -C "$work/rootfs" --numeric-owner -cf "$TARBALL.part" .
        mv "$TARBALL.part" "$TARBALL"
    fi
    say "docker import $TARBALL as $REF"
    docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' "$TARBALL" "$REF" >/dev/null
fi
docker tag "$REF" bpfopa-base:local
printf '%s\n' "$REF"
