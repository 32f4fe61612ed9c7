# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the pip bootstrap script that ansible-test downloads for its sanity venvs.

ansible-test creates a venv per sanity test and bootstraps pip in it with a
"get-pip" script fetched from a host that is not reachable from these machines.

``python tools/ansible_test_get_pip.py --install-cache`` copies this file into
ansible-test's cache under the name it looks for
(``~/.ansible/test/cache/get_pip_<version>.py``). Run there by ansible-test, it does the
same job offline: ``ensurepip`` installs the pip wheel bundled with Python, which then
installs the pinned pip that ansible-test asked for from the package index.
"""

from __future__ import annotations

import ensurepip
import os
import re
import shutil
import subprocess
import sys

# get-pip's own switches, which pip install does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def install_cache():
    """Copy this script to where the installed ansible-test looks for its bootstrap."""
    import ansible_test  # pylint: disable=import-outside-toplevel

    source = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
    with open(source, encoding="utf-8") as handle:
        match = re.search(r"pip='([0-9.]+)'", handle.read())
    if not match:
        sys.exit("ansible_test_get_pip: cannot find the pip version ansible-test bootstraps in %s" % source)
    cache = os.path.expanduser("~/.ansible/test/cache")
    os.makedirs(cache, exist_ok=True)
    target = os.path.join(cache, "get_pip_%s.py" % match.group(1).replace(".", "_"))
    shutil.copyfile(os.path.abspath(__file__), target)
    print("ansible_test_get_pip: installed %s" % target)


def bootstrap(args):
    # ensurepip sets PIP_CONFIG_FILE=/dev/null in our environment; the install below
    # must see the machine's pip configuration (its trust store and package index).
    saved = dict(os.environ)
    ensurepip.bootstrap(upgrade=True)
    os.environ.clear()
    os.environ.update(saved)
    args = [a for a in args if a not in GET_PIP_ONLY]
    return subprocess.call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    if sys.argv[1:] == ["--install-cache"]:
        install_cache()
    else:
        sys.exit(bootstrap(sys.argv[1:]))
