# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Systemd containers for the demo and the benchmark: one place for how they are run.

docs/testing.md says why these options: --privileged fails on these machines, so the
container gets SYS_ADMIN, the host's cgroup namespace and a writable /sys/fs/cgroup,
which is what systemd needs to boot and to enforce memory limits. A KVM host container
also gets SECCOMP (as molecule/kvm_host does, where it is written inline for Docker's
API; a unit test keeps the two equal).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
SYSTEMD_ARGS = ["--cap-add", "SYS_ADMIN", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp"]
# libvirt raises QEMU's memlock rlimit to a guest's memtune hard limit, which nothing in
# a container may do; this profile allows every call and answers "success" to the calls
# that SET nproc/nofile/memlock (6, 7, 8), so a domain DEFINED with a hard limit starts.
# prlimit64 only when it sets (new_limit != NULL), so reading a limit still works.
SECCOMP = {"defaultAction": "SCMP_ACT_ALLOW",
           "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
           "syscalls": [rule for res in (6, 7, 8) for rule in (
               {"names": ["prlimit64"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0,
                "args": [{"index": 1, "value": res, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 0, "op": "SCMP_CMP_NE"}]},
               {"names": ["setrlimit"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0,
                "args": [{"index": 0, "value": res, "op": "SCMP_CMP_EQ"}]})]}


def kvm_args(directory):
    """docker run arguments of a KVM host container; the seccomp profile is written to directory."""
    path = os.path.join(directory, "seccomp.json")
    with open(path, "w") as handle:
        json.dump(SECCOMP, handle)
    return ["--cap-add", "SYS_PTRACE", "--security-opt", "seccomp=" + path]


def docker(*args, check=True, who="tools"):
    """Run docker; with check, exit with its error message when it fails."""
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        sys.exit("%s: docker %s failed: %s" % (who, " ".join(args[:3]), (proc.stderr or "").strip()))
    return proc


def run_systemd(name, image, label, extra=(), who="tools"):
    """Start a systemd container (its existing one if there is one)."""
    if docker("inspect", name, check=False).returncode == 0:
        docker("start", name, check=False)
        return
    if docker("image", "inspect", image, check=False).returncode != 0:
        sys.exit("%s: image %s is missing: run `make images` (or `python3 tools/images.py build`)" % (who, image))
    docker("run", "-d", "--name", name, "--hostname", name, "--label", label + "=1", *(SYSTEMD_ARGS + list(extra)),
           image, "/lib/systemd/systemd", who=who)


def booted(name):
    return docker("exec", name, "systemctl", "is-system-running", check=False).stdout.strip() in ("running", "degraded")


def wait_for_systemd(names, timeout=600, who="tools"):
    """Wait until systemd runs in every container, starting again a container whose systemd quit.

    A systemd container that exits at once (status 255) usually ran out of inotify
    instances: every systemd takes a few, and fs.inotify.max_user_instances (often 128)
    is shared by all containers of the machine. Returns the names that needed a restart.
    """
    deadline = time.time() + timeout
    pending = list(names)
    restarted = set()
    while pending and time.time() < deadline:
        still = []
        for name in pending:
            if docker("inspect", "-f", "{{.State.Running}}", name, check=False).stdout.strip() != "true":
                restarted.add(name)
                docker("start", name, check=False)
                still.append(name)
            elif not booted(name):
                still.append(name)
        pending = still
        if pending:
            time.sleep(2)
    if pending:
        sys.exit("%s: systemd did not boot in %s within %ds (check fs.inotify.max_user_instances)"
                 % (who, ", ".join(pending), timeout))
    return sorted(restarted)


def environment(**extra):
    """The environment for ansible-playbook: this checkout's venv and collection link."""
    env = dict(os.environ)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(ROOT, "build", "collections")
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env.update(extra)
    return env


def ensure_collection_link():
    link = os.path.join(ROOT, "build", "collections", "ansible_collections", "startsecure", "hardening")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)
