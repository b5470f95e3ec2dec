#!/usr/bin/env bash
# Installs everything bpfopa needs on a Debian/Ubuntu host, and nothing that is already there.
# Idempotent: a second run prints one line and returns in a few seconds.
#
#   Debian packages  python3-bpfcc (BCC: not on PyPI), python3-venv, kernel headers (BCC compiles
#                    the probes against them at start-up)
#   tracefs          mounted at /sys/kernel/tracing (tracepoint formats and attach points)
#   OPA              pinned version, in .bin/ of the project (never silently another version)
#   Compose, Helm,   pinned Docker Compose v2 plugin, Helm v4 and crictl (cri-tools), built from
#   crictl           their Go modules
#   .venv            from /usr/bin/python3 with --system-site-packages so `import bcc` keeps
#                    working, with bpfopa installed editable plus test and benchmark extras
set -euo pipefail

OPA_VERSION="${BPFOPA_OPA_VERSION:-1.22.3}"
COMPOSE_VERSION=v5.6.0  # Docker Compose v2 CLI plugin (Debian's docker-compose is the old 1.29)
HELM_VERSION=v4.3.2
CRICTL_VERSION=v1.37.0  # the kubelet's CRI sequence in the containerd tests (cri-tools)
# Every docker client looks here (Debian's 20.10 in /usr/bin and a newer one in /usr/local/bin).
COMPOSE_PLUGIN=/usr/local/lib/docker/cli-plugins/docker-compose
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.bin"
VENV="$ROOT/.venv"
SYS_PYTHON=/usr/bin/python3
did_something=0

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "must run as root (BPF needs it) and sudo is not installed"
    say "elevating with sudo: loading BPF programs and installing packages need root"
    exec sudo -E "$0" "$@"
fi

# --- Debian packages -----------------------------------------------------------------------------
apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        say "apt-get update"
        apt-get update -q >/dev/null
        apt_updated=1
    fi
    say "installing Debian packages: $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
    did_something=1
}
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

command -v apt-get >/dev/null || die "apt-get not found: bpfopa's setup supports Debian and Ubuntu"
needed=()
# linux-libc-dev: the UAPI headers the decoding tests compare their constant tables against;
# gcc: the wire-layout test compiles probes/bpfopa.h; systemd: systemd-analyze checks the unit;
# docker.io: the container tests run a real engine; busybox-static: their offline images;
# debootstrap: the Debian base of deploy/Dockerfile (deploy/base-image.sh). The event-generator
# tests (tests/peer): iproute2 and util-linux for the network and mount namespaces; the tools its
# actions run (ssh, nc, nmap, curl) or copy into their image (capsh, debugfs); git for the
# benign-work test. containerd and runc: the CRI tests run their own containerd (docker.io pulls
# them in too; named here because the tests use them directly).
for pkg in python3-bpfcc python3-venv python3-pip linux-libc-dev gcc systemd docker.io \
    busybox-static debootstrap iproute2 util-linux libcap2-bin e2fsprogs openssh-client \
    netcat-openbsd nmap curl git containerd runc; do
    have_pkg "$pkg" || needed+=("$pkg")
done
[ ${#needed[@]} -eq 0 ] || apt_install "${needed[@]}"

# --- kernel headers ------------------------------------------------------------------------------
# BCC compiles against /lib/modules/$(uname -r)/build. Prefer the exact package; a kernel the
# distribution does not ship (as on our CI hosts) gets the generic headers linked in. Their struct
# offsets can be wrong for the running kernel, which is why the probes read kernel structs only
# through offsets taken from the running kernel's BTF.
KREL="$(uname -r)"
MODDIR="/lib/modules/$KREL"
if [ ! -e "$MODDIR/build/include" ]; then
    if [ "$apt_updated" -eq 0 ]; then apt-get update -q >/dev/null; apt_updated=1; fi
    if apt-cache show "linux-headers-$KREL" >/dev/null 2>&1; then
        apt_install "linux-headers-$KREL"
    else
        case "$(dpkg --print-architecture)" in
            amd64) generic=linux-headers-amd64 ;;
            arm64) generic=linux-headers-arm64 ;;
            *) die "no kernel headers package for $(dpkg --print-architecture)" ;;
        esac
        have_pkg "$generic" || apt_install "$generic"
        arch_suffix="${generic#linux-headers-}"
        hdr_arch="$(ls -d /usr/src/linux-headers-*-"$arch_suffix" 2>/dev/null | sort -V | tail -n 1 || true)"
        hdr_common="$(ls -d /usr/src/linux-headers-*-common 2>/dev/null | sort -V | tail -n 1 || true)"
        [ -n "$hdr_arch" ] && [ -n "$hdr_common" ] || die "$generic installed but /usr/src has no headers"
        mkdir -p "$MODDIR"
        ln -sfn "$hdr_arch" "$MODDIR/build"
        ln -sfn "$hdr_common" "$MODDIR/source"
        say "no headers packaged for kernel $KREL: linked $hdr_arch into $MODDIR/build"
        did_something=1
    fi
fi

# --- tracefs -------------------------------------------------------------------------------------
if [ ! -e /sys/kernel/tracing/events/syscalls ]; then
    say "mounting tracefs at /sys/kernel/tracing"
    mount -t tracefs tracefs /sys/kernel/tracing || die "cannot mount tracefs"
    did_something=1
fi

# --- OPA (pinned) --------------------------------------------------------------------------------
opa_version_of() { "$1" version 2>/dev/null | awk '/^Version:/ {print $2}'; }
mkdir -p "$BIN"
if [ "$(opa_version_of "$BIN/opa" || true)" != "$OPA_VERSION" ]; then
    on_path="$(command -v opa || true)"
    go_minor=""
    if command -v go >/dev/null; then
        go_minor="$(go env GOVERSION 2>/dev/null | sed -E 's/^go1\.([0-9]+).*/\1/')"
    fi
    if [ -n "$on_path" ] && [ "$(opa_version_of "$on_path")" = "$OPA_VERSION" ]; then
        say "using OPA $OPA_VERSION from $on_path"
        ln -sfn "$on_path" "$BIN/opa"
    elif [ -n "$go_minor" ] && [ "$go_minor" -ge 25 ]; then
        say "building OPA v$OPA_VERSION with go install (takes a few minutes once)"
        GOBIN="$BIN" GOFLAGS=-mod=mod go install "github.com/open-policy-agent/opa@v$OPA_VERSION" \
            || die "go install of OPA v$OPA_VERSION failed"
    else
        case "$(uname -m)" in
            x86_64) asset=opa_linux_amd64_static ;;
            aarch64) asset=opa_linux_arm64_static ;;
            *) die "no OPA release binary for $(uname -m)" ;;
        esac
        url="https://github.com/open-policy-agent/opa/releases/download/v$OPA_VERSION/$asset"
        say "downloading OPA v$OPA_VERSION release binary and checking its published sha256"
        tmp="$(mktemp -d)"
        curl -fsSL -o "$tmp/opa" "$url" && curl -fsSL -o "$tmp/opa.sha256" "$url.sha256" \
            || die "cannot download OPA from $url"
        want="$(awk '{print $1}' "$tmp/opa.sha256")"
        got="$(sha256sum "$tmp/opa" | awk '{print $1}')"
        [ "$want" = "$got" ] || die "OPA checksum mismatch: published $want, downloaded $got"
        install -m 0755 "$tmp/opa" "$BIN/opa"
        rm -rf "$tmp"
    fi
    [ "$(opa_version_of "$BIN/opa")" = "$OPA_VERSION" ] \
        || die "$BIN/opa is not OPA $OPA_VERSION"
    did_something=1
fi

# --- Docker Compose plugin and Helm (pinned, built from their Go modules) -----------------------
# Neither has a Debian package at these versions; the Go module proxy serves both.
need_go() {
    command -v go >/dev/null || die "go (>= 1.21, for GOTOOLCHAIN) is needed to build $1"
}
if [ "$("$COMPOSE_PLUGIN" version --short 2>/dev/null || true)" != "${COMPOSE_VERSION#v}" ]; then
    need_go "the Docker Compose plugin"
    say "building the Docker Compose $COMPOSE_VERSION CLI plugin (a few minutes, once)"
    # `go install` refuses this module (its go.mod has exclude directives): build it as the main
    # module inside its downloaded source instead.
    module_dir="$(go mod download -json "github.com/docker/compose/v5@$COMPOSE_VERSION" \
        | "$SYS_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')" \
        || die "cannot download github.com/docker/compose/v5@$COMPOSE_VERSION"
    tmp="$(mktemp -d)"
    (cd "$module_dir" && GOFLAGS=-mod=mod go build -trimpath \
        -ldflags "-w -X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION" \
        -o "$tmp/docker-compose" ./cmd) || die "building the Docker Compose plugin failed"
    install -D -m 0755 "$tmp/docker-compose" "$COMPOSE_PLUGIN"
    rm -rf "$tmp"
    did_something=1
fi
if [ "$("$BIN/helm" version --template '{{.Version}}' 2>/dev/null || true)" != "$HELM_VERSION" ]; then
    need_go "Helm"
    say "building Helm $HELM_VERSION with go install (a few minutes, once)"
    GOBIN="$BIN" GOFLAGS=-mod=mod go install -trimpath \
        -ldflags "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
        "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" || die "go install of Helm $HELM_VERSION failed"
    did_something=1
fi

# crictl has no Debian package at this version; `go version -m` names the module version built
# (crictl --version says "unknown" when built with go install).
if ! go version -m "$BIN/crictl" 2>/dev/null | grep -q "sigs.k8s.io/cri-tools[[:space:]]*$CRICTL_VERSION"; then
    need_go "crictl"
    say "building crictl $CRICTL_VERSION with go install (a minute, once)"
    GOBIN="$BIN" GOFLAGS=-mod=mod go install -trimpath \
        -ldflags "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" \
        "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" \
        || die "go install of crictl $CRICTL_VERSION failed"
    did_something=1
fi

# --- virtualenv ----------------------------------------------------------------------------------
# --system-site-packages: BCC's Python bindings live in Debian's dist-packages, not on PyPI.
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import bcc" 2>/dev/null; then
    say "creating $VENV from $SYS_PYTHON with --system-site-packages (for Debian's bcc)"
    rm -rf "$VENV"
    "$SYS_PYTHON" -m venv --system-site-packages "$VENV"
    did_something=1
fi
stamp="$VENV/.bpfopa-installed"
# The install also generates the CRI stubs from the vendored proto (build_backend/): redo it when
# the proto or the generator changes, or the generated files are missing.
want_stamp="$(cat "$ROOT/pyproject.toml" "$ROOT/build_backend/bpfopa_build.py" \
    "$ROOT/bpfopa/runtime/_criapi/api.proto" | sha256sum | awk '{print $1}')"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want_stamp" ] \
    || [ ! -e "$ROOT/bpfopa/runtime/_criapi/api_pb2_grpc.py" ]; then
    say "installing bpfopa (editable) with test and benchmark extras into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT[test,bench]"
    echo "$want_stamp" >"$stamp"
    did_something=1
fi

if [ "$did_something" -eq 0 ]; then
    say "all present (BCC, headers, tracefs, OPA $OPA_VERSION, compose $COMPOSE_VERSION, helm $HELM_VERSION, crictl $CRICTL_VERSION, .venv)"
fi
