"""Ordinary work under ``bpfopa run`` with the default rules raises no alert at Notice or above.

A developer's afternoon, done for real: a Go build of a fresh module (its build cache below
``~/.cache``, as Go puts it), ``pip install`` of a locally built wheel into a new venv, a
``git clone`` and commit, ``apt-get install --reinstall`` of a small package from its .deb,
``docker build`` and ``docker run`` of an offline image, and editing files in a home directory.
Alerts belong to the work when its commands' process trees or its containers raised them, so
whatever else runs on the host does not count.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require
from tests.docker_engine import DockerEngine
from tests.kernel.rules_harness import Alert, LiveRun, is_drop, process_pids
from tests.peer.event_generator import barrier

#: Falco's priorities from Notice up: none of these may fire on benign work.
LOUD = {"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE"}
#: A tiny package that is on every Debian host (/etc/protocols, /etc/services): reinstalling it
#: writes below /etc through dpkg, as an upgrade does.
APT_PACKAGE = "netbase"


def _wheel(directory: Path) -> Path:
    """A pure-Python wheel made here (a wheel is a zip with METADATA, WHEEL and RECORD)."""
    name, version = "bpfopa_benign", "1.0"
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": b"GREETING = 'hello'\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: bpfopa-tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
        zf.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")
    return wheel


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's .deb, downloaded before the monitored work starts."""
    require(shutil.which("apt-get") is not None, "apt-get is needed for the reinstall")
    directory = tmp_path_factory.mktemp("deb")
    proc = subprocess.run(
        ["apt-get", "download", APT_PACKAGE], cwd=directory, capture_output=True, text=True
    )
    require(proc.returncode == 0, f"apt-get download {APT_PACKAGE}: {proc.stderr.strip()}")
    [found] = directory.glob(f"{APT_PACKAGE}_*.deb")
    return found


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, docker_engine: DockerEngine
) -> Iterator[LiveRun]:
    require(shutil.which("go") is not None, "the Go toolchain is needed for the Go build")
    run = LiveRun(
        tmp_path_factory.mktemp("benign-run"), args=("--runtime-socket", str(docker_engine.socket))
    )
    with run.running(timeout=300) as ready:  # BCC compiles the probes first: slow on a loaded host
        yield ready


class Work:
    """Runs commands as a user would in ``home``; remembers their pids and containers."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.pids: list[int] = []
        self.containers: set[str] = set()
        self.env = {
            "HOME": str(home),
            "PATH": "/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "GOCACHE": str(home / ".cache" / "go-build"),
            "GOPATH": str(home / "go"),
            "GOPROXY": "off",
            "GOFLAGS": "-mod=mod",
            "GIT_AUTHOR_NAME": "Dev",
            "GIT_AUTHOR_EMAIL": "dev@example.invalid",
            "GIT_COMMITTER_NAME": "Dev",
            "GIT_COMMITTER_EMAIL": "dev@example.invalid",
            "DEBIAN_FRONTEND": "noninteractive",
            "LANG": "C.UTF-8",
        }

    def run(self, *argv: str, cwd: Path | None = None, timeout: float = 600) -> str:
        go = shutil.which("go")
        if argv[0] == "go" and go:
            argv = (go, *argv[1:])
        proc = subprocess.Popen(
            argv,
            cwd=cwd or self.home,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        out, _ = proc.communicate(timeout=timeout)
        self.pids.append(proc.pid)
        assert proc.returncode == 0, f"{argv!r} exited {proc.returncode}: {out[-3000:]}"
        return out

    def owns(self, alert: Alert) -> bool:
        cid = str((alert.get("process") or {}).get("container_id") or "")
        if cid and any(c.startswith(cid) or cid.startswith(c) for c in self.containers):
            return True
        return bool(process_pids(alert) & set(self.pids))


@pytest.mark.timeout(1200)
def test_benign_work_is_quiet(
    live: LiveRun,
    deb: Path,
    docker_engine: DockerEngine,
    busybox_ref: str,
    tmp_path: Path,
) -> None:
    home = tmp_path / "home" / "dev"
    home.mkdir(parents=True)
    work = Work(home)
    mark = len(live.alerts())

    # Go: a fresh module and a cold build cache below ~/.cache.
    module = home / "src" / "hello"
    module.mkdir(parents=True)
    (module / "go.mod").write_text("module example.invalid/hello\n\ngo 1.21\n")
    (module / "main.go").write_text(
        'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("hello\\n") }\n'
    )
    work.run("go", "build", "-o", str(module / "hello"), ".", cwd=module)
    assert work.run(str(module / "hello")).strip() == "hello"

    # pip: a venv and a wheel built here, no index.
    wheel = _wheel(tmp_path)
    venv = home / "venv"
    work.run("/usr/bin/python3", "-m", "venv", str(venv))
    work.run(str(venv / "bin" / "pip"), "install", "--no-index", "--disable-pip-version-check",
             str(wheel))  # fmt: skip
    work.run(str(venv / "bin" / "python"), "-c", "import bpfopa_benign")

    # git: a repository, a local clone, an edit and a commit.
    origin = home / "origin"
    work.run("git", "init", "-q", "-b", "main", str(origin))
    (origin / "README").write_text("hello\n")
    work.run("git", "add", "README", cwd=origin)
    work.run("git", "commit", "-q", "-m", "first", cwd=origin)
    clone = home / "clone"
    work.run("git", "clone", "-q", str(origin), str(clone))
    (clone / "README").write_text("hello again\n")
    work.run("git", "commit", "-q", "-am", "second", cwd=clone)

    # apt: reinstall a small package from its .deb (dpkg writes below /etc and /usr).
    work.run("apt-get", "install", "--reinstall", "-y", "-q", str(deb))

    # docker: build an image from an offline base and run it.
    context = tmp_path / "image"
    context.mkdir()
    (context / "hello.txt").write_text("hello\n")
    (context / "Dockerfile").write_text(
        f"FROM {busybox_ref}\nCOPY hello.txt /srv/hello.txt\nRUN cat /srv/hello.txt > /srv/copy\n"
    )
    tag = f"bpfopa-test-benign:{tmp_path.name[-8:].lower()}"
    build = subprocess.run(
        ["docker", "build", "--network", "none", "-q", "-t", tag, str(context)],
        env={**docker_engine.env, "DOCKER_BUILDKIT": "0"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    work.containers.update(re.findall(r"Running in ([0-9a-f]{12})", build.stdout + build.stderr))
    try:
        created = docker_engine.docker("create", "--network", "none", tag, "cat", "/srv/copy")
        container = created.stdout.strip()
        work.containers.add(container)
        out = docker_engine.docker("start", "-a", container).stdout
        assert out.strip() == "hello"
        docker_engine.remove(container)
    finally:
        docker_engine.docker("rmi", "-f", tag, check=False)

    # Editing files in the home directory, as an editor saves them.
    notes = home / "notes.txt"
    notes.write_text("todo\n")
    work.run("sed", "-i", "s/todo/done/", str(notes))
    work.run("cp", str(notes), str(home / "notes.bak"))
    work.run("mv", str(home / "notes.bak"), str(home / "notes.old"))
    work.run("rm", str(home / "notes.old"))

    assert barrier(live, 300), "bpfopa did not catch up with the work"
    mine = [a for a in live.alerts()[mark:] if not is_drop(a) and work.owns(a)]
    loud = sorted(
        {(a["rule"], a.get("priority"), str(a.get("output"))[:200]) for a in mine
         if str(a.get("priority", "")).upper() in LOUD}
    )  # fmt: skip
    assert not loud, "benign work raised:\n" + "\n".join(map(str, loud))
