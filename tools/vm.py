# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real-kernel test VMs: Debian under QEMU emulation (TCG), for what containers cannot show.

Containers share the test machine's kernel: no cgroup v2 of their own, no AppArmor, no
writable sysctls, no boot loader, no reboot. These VMs have all of that. See
docs/testing.md for the platform and its figures.

Images come from the recipes in tools/images/ that have a "vm" key. A VM image is made
from the recipe's parent container image (tools/images.py) plus tools/images/vm-setup.sh:
kernel, initramfs, GRUB, AppArmor, the admin account. Its disk is partitioned like a real
one; GRUB is installed into it by the VM itself on a first boot (grub-install on a real
block device, no loop devices needed here), and the result is cached as a qcow2 file named
by the recipe hash, next to the admin's ssh key, in $STARTSECURE_VM_CACHE
(default ~/.cache/startsecure/vm). A second build says it reuses them.

Every test boots a throw-away copy-on-write overlay of the base image, so the base stays
clean. KVM acceleration is not used: on these machines a guest started with it hangs.

Usage:
  vm.py build [NAME ...]                      build or reuse VM images (default: all)
  vm.py up STATE_DIR [--instance-config FILE] [--platforms JSON] [INSTANCE=IMAGE[:MEM_MIB[:CPUS]] ...]
                                              boot overlays, wait for ssh, print JSON (and
                                              write Molecule's instance config to FILE)
  vm.py down STATE_DIR [--instance-config FILE] [INSTANCE ...]
                                              stop VMs, remove their overlays (and FILE)
  vm.py info NAME                             print the base image and key paths as JSON
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import images  # noqa: E402  pylint: disable=wrong-import-position

CACHE = os.environ.get("STARTSECURE_VM_CACHE",
                       os.path.join(os.path.expanduser("~"), ".cache", "startsecure", "vm"))
ADMIN = "admin"
FIRSTBOOT_OK = "STARTSECURE-FIRSTBOOT-OK"
# The disk's only partition starts at 1 MiB, like every partitioner makes it today;
# the gap before it holds GRUB's core image.
PART_OFFSET = 1024 * 1024
# Part of every VM image's name: raise it when a change here changes what the images contain.
VM_BUILDER_VERSION = "1"
# The emulated CPU: QEMU's baseline x86-64 model, the one TCG is exercised with most.
# With "max", Debian 13's kernel ran with 5-level paging (CR4.LA57) and protection keys
# under QEMU 7.2's emulation and hit Oopses at random under load (a NULL pointer in the
# maple tree during an mmap, then general protection faults on non-canonical addresses),
# which hung the VM in the middle of a converge. Debian's amd64 kernels and user space
# need nothing beyond the baseline.
CPU = "qemu64"
BOOT_TIMEOUT = int(os.environ.get("STARTSECURE_VM_BOOT_TIMEOUT", "420"))

FIRSTBOOT = """#!/bin/sh
# Runs once, as PID 1, on the image's first boot: installs GRUB on the real disk.
mount -o remount,rw /
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
if grub-install --target=i386-pc /dev/vda && update-grub; then
    rm -f /usr/local/sbin/startsecure-firstboot
    sync
    echo %s
else
    echo STARTSECURE-FIRSTBOOT-FAILED
fi
sync
echo o > /proc/sysrq-trigger
sleep 60
""" % FIRSTBOOT_OK


def say(msg):
    print("vm: %s" % msg, flush=True)


def die(msg):
    print("vm: %s" % msg, file=sys.stderr, flush=True)
    sys.exit(1)


def run(cmd, **kw):
    proc = subprocess.run(cmd, check=False, **kw)
    if proc.returncode != 0:
        die("command failed (%d): %s" % (proc.returncode, " ".join(cmd)[:300]))
    return proc


def need(*commands):
    missing = [c for c in commands if not shutil.which(c)]
    if missing:
        die("missing commands: %s (make vm-tools installs them)" % ", ".join(missing))


def paths(name):
    """Base image and key of a VM recipe, named by its hash."""
    recipe = images.load(name)[0]
    if "vm" not in recipe:
        die("recipe %s is not a VM recipe (it has no \"vm\" key)" % name)
    digest = hashlib.sha256((images.recipe_hash(name) + VM_BUILDER_VERSION).encode()).hexdigest()[:12]
    stem = os.path.join(CACHE, "%s-%s" % (recipe["name"].split("/")[-1], digest))
    return {"disk": stem + ".qcow2", "key": stem + ".key", "recipe": recipe}


def size_bytes(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


def build(name):
    p = paths(name)
    if os.path.exists(p["disk"]) and os.path.exists(p["key"]):
        say("reusing %s (recipe unchanged)" % p["disk"])
        return p
    need("docker", "qemu-system-x86_64", "qemu-img", "sfdisk", "mkfs.ext4", "ssh-keygen", "tar")
    recipe = p["recipe"]
    parent = images.build(recipe["from"])
    os.makedirs(CACHE, exist_ok=True)
    work = tempfile.mkdtemp(prefix="build-", dir=CACHE)
    started = time.time()
    try:
        rootfs = os.path.join(work, "rootfs")
        os.mkdir(rootfs)
        key = os.path.join(work, "key")
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "startsecure-vm-admin", "-f", key])
        make_rootfs(name, recipe, parent, rootfs)
        install_key(rootfs, key + ".pub")
        with open(os.path.join(rootfs, "usr/local/sbin/startsecure-firstboot"), "w") as fh:
            fh.write(FIRSTBOOT)
        os.chmod(os.path.join(rootfs, "usr/local/sbin/startsecure-firstboot"), 0o755)
        kernel = sorted(glob.glob(os.path.join(rootfs, "boot", "vmlinuz-*")))[-1]
        initrd = sorted(glob.glob(os.path.join(rootfs, "boot", "initrd.img-*")))[-1]
        shutil.copy(kernel, os.path.join(work, "vmlinuz"))
        shutil.copy(initrd, os.path.join(work, "initrd.img"))
        raw = os.path.join(work, "disk.raw")
        make_disk(rootfs, raw, size_bytes(recipe["vm"].get("disk_size", "4G")))
        shutil.rmtree(rootfs)
        first_boot(work, raw)
        run(["qemu-img", "convert", "-O", "qcow2", raw, p["disk"] + ".tmp"])
        shutil.copy(key, p["key"] + ".tmp")
        os.chmod(p["key"] + ".tmp", 0o600)
        os.rename(p["key"] + ".tmp", p["key"])
        os.rename(p["disk"] + ".tmp", p["disk"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say("built %s in %d s" % (p["disk"], time.time() - started))
    prune(p)
    return p


def prune(current):
    """Remove older builds of the same recipe (a running overlay keeps its open base)."""
    stem = current["disk"][:-len(".qcow2")]
    prefix = stem.rsplit("-", 1)[0] + "-"
    for path in glob.glob(prefix + "*"):
        rest = path[len(prefix):]
        if not path.startswith(stem) and "-" not in rest.split(".")[0] and rest.endswith((".qcow2", ".key")):
            os.remove(path)
            say("removed the outdated %s" % os.path.basename(path))


def make_rootfs(name, recipe, parent, rootfs):
    """Run vm-setup.sh in a container of the parent image and export its file system."""
    container = "startsecure-vmbuild-%s-%d" % (name, os.getpid())
    packages = " ".join(recipe["vm"].get("packages", []))
    say("installing kernel, GRUB, AppArmor%s into %s (about a minute)"
        % (" and " + packages if packages else "", parent))
    log = os.path.join(tempfile.gettempdir(), "startsecure-vmbuild-%s.log" % name)
    try:
        with open(log, "w") as out:
            proc = subprocess.run(
                ["docker", "run", "--name", container, "-e", "VM_PACKAGES=" + packages,
                 "-v", "%s:/recipe:ro" % images.RECIPES, parent, "/bin/sh", "/recipe/vm-setup.sh"],
                stdout=out, stderr=subprocess.STDOUT, check=False)
        if proc.returncode != 0:
            die("vm-setup.sh failed in %s; see %s" % (parent, log))
        export = subprocess.Popen(["docker", "export", container], stdout=subprocess.PIPE)
        run(["tar", "-x", "-p", "--numeric-owner", "-C", rootfs], stdin=export.stdout)
        if export.wait() != 0:
            die("docker export %s failed" % container)
    finally:
        subprocess.run(["docker", "rm", "-f", container], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    for leftover in (".dockerenv",):
        path = os.path.join(rootfs, leftover)
        if os.path.exists(path):
            os.remove(path)
    # Docker bind-mounts these over the container's own; the exported copies are empty or
    # the build machine's. The VM writes its own.
    with open(os.path.join(rootfs, "etc/hostname"), "w") as fh:
        fh.write("startsecure-vm\n")
    with open(os.path.join(rootfs, "etc/hosts"), "w") as fh:
        fh.write("127.0.0.1\tlocalhost\n127.0.1.1\tstartsecure-vm\n::1\tlocalhost ip6-localhost ip6-loopback\n")
    resolv = os.path.join(rootfs, "etc/resolv.conf")
    if os.path.islink(resolv) or os.path.exists(resolv):
        os.remove(resolv)
    with open(resolv, "w") as fh:
        fh.write("nameserver 10.0.2.3\n")
    # A fixed machine id: "uninitialized" would make systemd treat the boot as a first
    # boot (systemd-firstboot may then wait for answers on the console).
    with open(os.path.join(rootfs, "etc/machine-id"), "w") as fh:
        fh.write(uuid.uuid4().hex + "\n")


def install_key(rootfs, pub):
    uid = gid = None
    with open(os.path.join(rootfs, "etc/passwd")) as fh:
        for line in fh:
            fields = line.split(":")
            if fields[0] == ADMIN:
                uid, gid = int(fields[2]), int(fields[3])
    if uid is None:
        die("vm-setup.sh made no %s account" % ADMIN)
    dest = os.path.join(rootfs, "home", ADMIN, ".ssh", "authorized_keys")
    shutil.copy(pub, dest)
    os.chown(dest, uid, gid)
    os.chmod(dest, 0o600)


def make_disk(rootfs, raw, size):
    """A partitioned raw disk whose one partition is an ext4 made from ROOTFS (no mounts)."""
    with open(raw, "wb") as fh:
        fh.truncate(size)
    run(["sfdisk", "-q", raw], input=b"label: dos\nstart=2048, type=83, bootable\n")
    blocks = (size - PART_OFFSET) // 1024
    run(["mkfs.ext4", "-q", "-F", "-L", "startsecure-root", "-E", "offset=%d" % PART_OFFSET,
         "-d", rootfs, raw, "%dk" % blocks])


def first_boot(work, raw):
    """Boot the disk once with its own kernel; the VM installs GRUB on itself and powers off."""
    log = os.path.join(work, "firstboot.log")
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,thread=single", "-cpu", CPU, "-smp", "2",
           "-m", "1024", "-kernel", os.path.join(work, "vmlinuz"),
           "-initrd", os.path.join(work, "initrd.img"),
           "-append", "root=/dev/vda1 rw console=ttyS0 init=/usr/local/sbin/startsecure-firstboot panic=-1",
           "-drive", "file=%s,format=raw,if=virtio" % raw, "-nic", "none",
           "-display", "none", "-serial", "file:%s" % log, "-monitor", "none", "-no-reboot"]
    say("first boot: installing GRUB on the VM's disk")
    try:
        subprocess.run(cmd, timeout=BOOT_TIMEOUT, check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        die("first boot did not finish in %d s; console: %s" % (BOOT_TIMEOUT, tail(log)))
    with open(log, errors="replace") as fh:
        if FIRSTBOOT_OK not in fh.read():
            die("GRUB was not installed; console: %s" % tail(log))


def tail(path, lines=25):
    try:
        with open(path, errors="replace") as fh:
            return "\n" + "".join(fh.readlines()[-lines:])
    except OSError:
        return "(no console log)"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ssh_cmd(info, *command):
    return ["ssh", "-q", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
            "-i", info["identity_file"], "-p", str(info["port"]),
            "%s@%s" % (info["user"], info["address"])] + list(command)


def parse_spec(spec):
    instance, sep, rest = spec.partition("=")
    parts = rest.split(":")
    if not sep or not instance or not parts[0]:
        die("bad spec %r: INSTANCE=IMAGE[:MEM_MIB[:CPUS]]" % spec)
    return instance, parts[0], int(parts[1]) if len(parts) > 1 else 2048, \
        int(parts[2]) if len(parts) > 2 else 2


def start(state, instance, image, memory, cpus):
    p = paths(image)
    overlay = os.path.join(state, instance + ".qcow2")
    if os.path.exists(overlay):
        os.remove(overlay)
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", p["disk"], overlay])
    port = free_port()
    base = os.path.join(state, instance)
    for suffix in (".console.log",):
        if os.path.exists(base + suffix):
            os.remove(base + suffix)
    # thread=single: one host thread runs all vCPUs. With a thread per vCPU, Debian 13's
    # kernel (6.12) died at boot under emulation here ("Oops: int3" while patching its own
    # code); one thread per VM also leaves the second core to the other VM or Ansible.
    cmd = ["qemu-system-x86_64", "-name", instance, "-machine", "q35", "-accel", "tcg,thread=single",
           "-cpu", CPU, "-smp", str(cpus), "-m", str(memory),
           "-drive", "file=%s,format=qcow2,if=virtio" % overlay,
           # Published on loopback only: nothing but this machine reaches the VM's sshd.
           "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:22" % port,
           "-device", "virtio-net-pci,netdev=n0",
           # The serial console: a socket a test can talk to (getty, sulogin) and a log
           # of everything it printed (GRUB, kernel, systemd).
           "-chardev", "socket,id=ser0,path=%s.console.sock,server=on,wait=off,logfile=%s.console.log,logappend=on"
           % (base, base),
           "-serial", "chardev:ser0",
           "-qmp", "unix:%s.qmp.sock,server=on,wait=off" % base,
           "-display", "none", "-daemonize", "-pidfile", base + ".pid"]
    run(cmd)
    with open(base + ".pid") as fh:
        pid = int(fh.read().strip())
    info = {"instance": instance, "address": "127.0.0.1", "port": port, "user": ADMIN,
            "identity_file": p["key"], "image": image, "pid": pid, "memory_mib": memory,
            "console_log": base + ".console.log", "console_socket": base + ".console.sock",
            "qmp_socket": base + ".qmp.sock", "overlay": overlay}
    with open(base + ".json", "w") as fh:
        json.dump(info, fh, indent=1)
    return info


def wait_ssh(info, deadline):
    while time.time() < deadline:
        if not alive(info["pid"]):
            die("%s: QEMU exited during boot; console: %s" % (info["instance"], tail(info["console_log"])))
        proc = subprocess.run(ssh_cmd(info, "true"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=False)
        if proc.returncode == 0:
            return
        time.sleep(2)
    die("%s: no ssh after %d s; console: %s" % (info["instance"], BOOT_TIMEOUT, tail(info["console_log"])))


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def up(state, specs):
    need("qemu-system-x86_64", "qemu-img", "ssh")
    os.makedirs(state, exist_ok=True)
    parsed = [parse_spec(s) for s in specs]
    for image in sorted({spec[1] for spec in parsed}):
        build(image)
    started = time.time()
    infos = [start(state, *spec) for spec in parsed]
    deadline = time.time() + BOOT_TIMEOUT
    for info in infos:
        wait_ssh(info, deadline)
        say("%s: ssh answers on 127.0.0.1:%d (%d s after start)"
            % (info["instance"], info["port"], time.time() - started))
    return infos


def down(state, instances):
    if not instances:
        instances = [os.path.basename(f)[:-5] for f in glob.glob(os.path.join(state, "*.json"))]
    for instance in instances:
        base = os.path.join(state, instance)
        try:
            with open(base + ".json") as fh:
                info = json.load(fh)
        except OSError:
            continue
        if alive(info["pid"]):
            os.kill(info["pid"], 15)
            deadline = time.time() + 10
            while alive(info["pid"]) and time.time() < deadline:
                time.sleep(0.2)
            if alive(info["pid"]):
                os.kill(info["pid"], 9)
        for suffix in (".qcow2", ".pid", ".console.sock", ".qmp.sock", ".json"):
            if os.path.exists(base + suffix):
                os.remove(base + suffix)
        say("%s: stopped, overlay removed" % instance)


def platform_specs(platforms_json):
    """Molecule platforms (name, image, memory_mib, cpus) as INSTANCE=IMAGE:MEM:CPUS specs."""
    try:
        platforms = json.loads(platforms_json)
    except ValueError as exc:
        die("--platforms is not JSON: %s" % exc)
    specs = []
    for item in platforms:
        if not isinstance(item, dict) or "name" not in item or "image" not in item:
            die("each platform needs a name and an image (a VM recipe): %r" % (item,))
        specs.append("%s=%s:%d:%d" % (item["name"], item["image"], int(item.get("memory_mib", 2048)),
                                      int(item.get("cpus", 2))))
    return specs


def write_instance_config(path, infos):
    """Molecule's instance config: how Molecule, Ansible and testinfra reach each VM."""
    keys = ("instance", "address", "user", "port", "identity_file")
    with open(path + ".tmp", "w") as fh:
        json.dump([dict((k, info[k]) for k in keys) for info in infos], fh, indent=1)
    os.rename(path + ".tmp", path)


def take_option(args, name):
    if name in args:
        i = args.index(name)
        if i + 1 >= len(args):
            die("%s needs a value" % name)
        value = args[i + 1]
        del args[i:i + 2]
        return value
    return None


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    verb, args = argv[0], list(argv[1:])
    config = take_option(args, "--instance-config")
    platforms = take_option(args, "--platforms")
    if platforms:
        args += platform_specs(platforms)
    if verb == "build":
        for name in args or images.all_names("vm"):
            build(name)
    elif verb == "up" and len(args) >= 2:
        infos = up(args[0], args[1:])
        if config:
            write_instance_config(config, infos)
        print(json.dumps(infos, indent=1))
    elif verb == "down" and args:
        down(args[0], args[1:])
        if config and os.path.exists(config):
            os.remove(config)
    elif verb == "info" and len(args) == 1:
        p = paths(args[0])
        print(json.dumps({"disk": p["disk"], "key": p["key"]}))
    else:
        die("usage: see vm.py --help")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
