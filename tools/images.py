# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the local test images (no registry is reachable here) and cache them by recipe.

A recipe is a JSON file in tools/images/. An image is either debootstrapped from a
Debian suite or derived from another recipe's image by running commands in a container.
A derived recipe may name files of this machine (``host_files``, mounted read-only under
/host/) and environment variables for the image (``env``).
The image tag is the first 12 hex digits of a SHA-256 over the recipe, its parents'
recipes, the named host files' contents and the builder's version, so a changed recipe
gives a new tag and an unchanged one is reused. A stable alias ``<name>:current`` points at the hashed tag; Molecule uses it.

Usage: images.py [build] [NAME ...]   (default: every recipe)
       images.py tag NAME             (print the hashed tag)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RECIPES = os.path.join(HERE, "images")
CMD = '["/lib/systemd/systemd"]'
# Part of every image hash: raise it when a change here changes what images contain.
BUILDER_VERSION = "1"


def say(msg):
    print("images: %s" % msg, flush=True)


def die(msg):
    print("images: %s" % msg, file=sys.stderr, flush=True)
    sys.exit(1)


def load(name):
    path = os.path.join(RECIPES, name + ".json")
    if not os.path.exists(path):
        die("no recipe %s" % path)
    with open(path, "rb") as handle:
        raw = handle.read()
    return json.loads(raw), raw


def all_names(kind="container"):
    """Recipe names of one kind: "container" (Docker images) or "vm" (VM disks, tools/vm.py)."""
    names = sorted(f[:-5] for f in os.listdir(RECIPES) if f.endswith(".json"))
    return [n for n in names if ("vm" in load(n)[0]) == (kind == "vm")]


def recipe_hash(name):
    recipe, raw = load(name)
    digest = hashlib.sha256(raw)
    digest.update(BUILDER_VERSION.encode())
    for extra in recipe.get("files", []):
        with open(os.path.join(RECIPES, extra), "rb") as handle:
            digest.update(handle.read())
    for host_file in recipe.get("host_files", []):
        with open(host_file, "rb") as handle:
            digest.update(handle.read())
    if "from" in recipe:
        digest.update(recipe_hash(recipe["from"]).encode())
    return digest.hexdigest()[:12]


def tag(name):
    recipe = load(name)[0]
    return "%s:%s" % (recipe["name"], recipe_hash(name))


def exists(ref):
    return subprocess.run(["docker", "image", "inspect", ref], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False).returncode == 0


def run(cmd, **kw):
    proc = subprocess.run(cmd, check=False, **kw)
    if proc.returncode != 0:
        die("command failed (%d): %s" % (proc.returncode, " ".join(cmd)[:200]))
    return proc


def ensure_debootstrap():
    if shutil.which("debootstrap"):
        return
    if os.geteuid() != 0:
        die("debootstrap is missing and we are not root to install it")
    say("installing debootstrap")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
    run(["apt-get", "install", "-y", "-qq", "debootstrap"], env=env, stdout=subprocess.DEVNULL)


def build_debootstrap(recipe, ref):
    ensure_debootstrap()
    spec = recipe["debootstrap"]
    root = tempfile.mkdtemp(prefix="startsecure-rootfs-")
    try:
        cmd = ["debootstrap", "--variant=%s" % spec.get("variant", "minbase"),
               "--include=%s" % ",".join(spec["include"]), spec["suite"], root]
        say("debootstrap %s (takes about a minute)" % spec["suite"])
        with open(os.path.join(tempfile.gettempdir(), "startsecure-debootstrap.log"), "w") as log:
            proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
        if proc.returncode != 0:
            die("debootstrap %s failed; see %s" % (spec["suite"], log.name))
        for line in recipe.get("setup", []):
            run(["chroot", root, "/bin/sh", "-ec", line])
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        run(["docker", "import", "--change", "CMD %s" % CMD, "-", ref], stdin=tar.stdout,
            stdout=subprocess.DEVNULL)
        tar.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def build_derived(recipe, ref):
    parent = build(recipe["from"])
    name = "startsecure-build-%d" % os.getpid()
    script = "\n".join(["set -e", "export DEBIAN_FRONTEND=noninteractive"] + recipe["setup"])
    mounts = ["-v", "%s:/recipe:ro" % RECIPES]
    for host_file in recipe.get("host_files", []):
        mounts += ["-v", "%s:/host/%s:ro" % (host_file, os.path.basename(host_file))]
    changes = ["--change", "CMD %s" % CMD]
    for key, value in sorted(recipe.get("env", {}).items()):
        changes += ["--change", "ENV %s=%s" % (key, value)]
    say("deriving %s from %s" % (ref, parent))
    try:
        run(["docker", "run", "--name", name] + mounts + [parent, "/bin/sh", "-c", script])
        run(["docker", "commit"] + changes + [name, ref], stdout=subprocess.DEVNULL)
    finally:
        subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def build(name):
    recipe = load(name)[0]
    ref = tag(name)
    alias = "%s:current" % recipe["name"]
    if exists(ref):
        say("reusing %s (recipe unchanged)" % ref)
    elif "debootstrap" in recipe:
        build_debootstrap(recipe, ref)
        say("built %s" % ref)
    else:
        build_derived(recipe, ref)
        say("built %s" % ref)
    run(["docker", "tag", ref, alias])
    return ref


def main(argv):
    if argv[:1] == ["tag"]:
        print(tag(argv[1]))
        return 0
    if argv[:1] == ["build"]:
        argv = argv[1:]
    for name in argv or all_names():
        build(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
