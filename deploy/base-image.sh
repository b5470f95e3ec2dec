#!/usr/bin/env bash
# Prepares what deploy/Dockerfile needs so that `docker build` uses no network and no registry:
#
#   1. the Debian base image it builds FROM: `debootstrap` from the Debian mirror apt already
#      uses, then `docker import`; printed as bpfopa-base:<key>, also tagged bpfopa-base:local;
#   2. bpfopa's Python dependencies as wheels in .cache/wheels/ of the checkout (the build
#      context), downloaded here by the host's pip, which trusts the host's CA certificates
#      (a build container would not, behind a TLS-inspecting proxy).
#
# The root filesystem holds what no `docker build` can fetch here (Debian's python3-bpfcc: BCC is
# not on PyPI) and what OPA's dynamically linked binary needs (glibc). debootstrap takes minutes,
# so its tarball is cached under $BPFOPA_CACHE (default /var/cache/bpfopa), keyed on everything
# that decides its content: mirror, suite, architecture, package list and ROOTFS_RECIPE (bump it
# when the debootstrap step below changes). A second run with the image present returns at once;
# with only the tarball present it re-imports.
set -euo pipefail

CACHE="${BPFOPA_CACHE:-/var/cache/bpfopa}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHEELS="$ROOT/.cache/wheels"
SUITE="${BPFOPA_BASE_SUITE:-bookworm}"
ARCH="$(dpkg --print-architecture)"
# python3-bpfcc: BCC and its Python bindings; python3-venv: the virtualenv bpfopa installs into
# (system site-packages, for bcc); ca-certificates: pip's TLS to PyPI during `docker build`.
PACKAGES="python3-bpfcc,python3-venv,ca-certificates"
ROOTFS_RECIPE=1

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

key="$(printf '%s\n' "$MIRROR" "$SUITE" "$ARCH" "$PACKAGES" "$ROOTFS_RECIPE" | sha256sum | cut -c1-12)"
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

# The wheels, again only when the dependency list changed. setuptools: the editable install's
# build backend (pyproject.toml's build-system), installed from here too.
requirements="$(python3 -c 'import sys, tomllib
p = tomllib.load(open(sys.argv[1], "rb"))
print("\n".join(p["project"]["dependencies"] + p["build-system"]["requires"]))' "$ROOT/pyproject.toml")"
stamp="$(printf '%s\n' "$requirements" "$SUITE" "$ARCH" | sha256sum | cut -c1-12)"
if [ "$(cat "$WHEELS/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
    say "downloading bpfopa's Python dependencies as wheels into $WHEELS"
    rm -rf "$WHEELS"
    mkdir -p "$WHEELS"
    printf '%s\n' "$requirements" >"$WHEELS/requirements.txt"
    python3 -m pip download -q --disable-pip-version-check --only-binary=:all: \
        -d "$WHEELS" -r "$WHEELS/requirements.txt" || die "pip download of the wheels failed"
    echo "$stamp" >"$WHEELS/.stamp"
fi
printf '%s\n' "$REF"
