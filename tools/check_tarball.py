# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fail when the collection tarball holds generated output (galaxy.yml build_ignore missed it).

Usage: python3 tools/check_tarball.py build/startsecure-hardening-<version>.tar.gz
Demo output, audit results, build and cache folders, virtualenvs, test output and
byte code are made by running the project, never part of what a user installs.
"""

from __future__ import annotations

import sys
import tarfile

# Top-level folders (and files) that only running the project creates.
GENERATED = ("demo-output", "audit-results", "build", ".cache", ".venv", ".ansible", ".pytest_cache", "tests/output",
             "changelogs/.plugin-cache.yaml")
GENERATED_PARTS = ("__pycache__",)
GENERATED_SUFFIXES = (".pyc", ".tar.gz")


def generated(names):
    """The names in the tarball that are generated output."""
    bad = []
    for name in names:
        path = name[2:] if name.startswith("./") else name
        parts = path.split("/")
        if (any(path == g or path.startswith(g + "/") for g in GENERATED) or any(p in GENERATED_PARTS for p in parts)
                or path.endswith(GENERATED_SUFFIXES)):
            bad.append(path)
    return sorted(bad)


def main(argv):
    if len(argv) != 1:
        sys.exit(__doc__.strip().splitlines()[2])
    with tarfile.open(argv[0]) as tar:
        names = tar.getnames()
    bad = generated(names)
    if bad:
        sys.exit("check_tarball: %s holds generated output (add it to build_ignore in galaxy.yml):\n  %s"
                 % (argv[0], "\n  ".join(bad[:40])))
    print("check_tarball: %d files, no generated output" % len(names))


if __name__ == "__main__":
    main(sys.argv[1:])
