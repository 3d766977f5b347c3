"""network/network.sh with NINETEN_HOSTS=netns, where it must not need the Fabric binaries: a machine
that cannot make network namespaces gets one line and exit 3; an `up` that fails after making its
namespaces leaves none behind. Each run has its own runtime dir and port offset, so its namespaces
(named after the offset) are no other network's."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OFFSET = "54321"  # namespaces n9t54321-*, link n9t54321-c
PREFIX = f"n9t{OFFSET}"


def _up(tmp_path: Path, path: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NINETEN_HOSTS": "netns", "NINETEN_PORT_OFFSET": OFFSET,
           "NINETEN_NETWORK_DIR": str(tmp_path / "net"), "NINETEN_FABRIC_HOME": str(tmp_path / "no-fabric"),
           "NINETEN_NETNS_SUBNET": "198.51.100.224/27", "PATH": path or os.environ["PATH"]}
    return subprocess.run([str(ROOT / "network" / "network.sh"), "up"], env=env, capture_output=True, text=True)


def _leftovers() -> list[str]:
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    found = [n for n in namespaces if n.startswith(PREFIX)] + [f"link {PREFIX}-c"] * (f"{PREFIX}-c" in links)
    return found + [str(p) for p in Path("/etc/netns").glob(f"{PREFIX}-*")]


def test_a_machine_without_namespaces_is_told_in_one_line(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ip").write_text("#!/bin/sh\necho 'mount --make-shared /run/netns failed: Operation not permitted' >&2\n"
                             "exit 1\n")
    (fake / "ip").chmod(0o755)
    done = _up(tmp_path, f"{fake}:{os.environ['PATH']}")
    assert done.returncode == 3
    assert done.stderr == ("network: NINETEN_HOSTS=netns needs Linux network namespaces, and this machine cannot "
                           "create them: mount --make-shared /run/netns failed: Operation not permitted\n")


def test_a_failed_up_removes_its_namespaces(tmp_path):
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("needs root and the ip command to make network namespaces")
    done = _up(tmp_path)  # makes the namespaces, then finds no Fabric binaries
    if done.returncode == 3:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 1
    assert "no-fabric/bin/peer missing: run network/build.sh first" in done.stderr
    assert "hosts: 7 network namespaces on 198.51.100.224/27" in done.stdout
    assert _leftovers() == []


def test_a_subnet_the_machine_already_uses_is_refused(tmp_path):
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("needs root and the ip command to make network namespaces")
    routes = subprocess.run(["ip", "-4", "route", "show", "scope", "link"], capture_output=True, text=True).stdout
    subnet = next((line.split()[0] for line in routes.splitlines() if "/" in line.split()[0]), None)
    if subnet is None:
        pytest.skip("this machine has no link route to overlap")
    env = {**os.environ, "NINETEN_HOSTS": "netns", "NINETEN_PORT_OFFSET": OFFSET,
           "NINETEN_NETWORK_DIR": str(tmp_path / "net"), "NINETEN_FABRIC_HOME": str(tmp_path / "no-fabric"),
           "NINETEN_NETNS_SUBNET": subnet.split("/")[0] + "/27"}
    done = subprocess.run([str(ROOT / "network" / "network.sh"), "up"], env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "is already routed here" in done.stderr
    assert _leftovers() == []
