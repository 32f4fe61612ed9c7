# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small read-only helpers the audit gatherers share: files, systemd properties, containers.

Every helper swallows "not there" (a missing file is a fact, not an error) and never
writes anything, so the gatherers stay safe in check mode.
"""

from __future__ import annotations

import glob
import os
import stat


def read_text(path, limit=1024 * 1024):
    """File content as text, or None when it does not exist or cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except (IOError, OSError):
        return None


def file_mode(path):
    """{"exists", "mode" (octal string), "uid", "gid"} of a path (no link following)."""
    try:
        info = os.lstat(path)
    except OSError:
        return {"path": path, "exists": False, "mode": None, "uid": None, "gid": None}
    return {"path": path, "exists": True, "mode": "%04o" % stat.S_IMODE(info.st_mode),
            "uid": info.st_uid, "gid": info.st_gid}


def files_in(pattern):
    """Sorted regular files matching a glob."""
    return sorted(p for p in glob.glob(pattern) if os.path.isfile(p))


def systemctl_show(module, unit, properties):
    """Properties of a unit as a dict (empty when systemctl is missing or fails)."""
    return systemctl_show_many(module, [unit], properties)[unit]


def systemctl_show_many(module, units, properties):
    """Properties of several units in one systemctl call: {unit: {property: value}}.

    systemctl prints one block per unit, in the order asked, separated by blank lines.
    """
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return dict((unit, {}) for unit in units)
    rc, out, err = module.run_command([systemctl, "show", "--no-pager", "-p", ",".join(properties)] + list(units))
    blocks = out.split("\n\n") if rc == 0 else []
    result = {}
    for number, unit in enumerate(units):
        values = {}
        if number < len(blocks):
            for line in blocks[number].splitlines():
                if "=" in line:
                    key, value = line.split("=", 1)
                    values[key] = value
        result[unit] = values
    return result


def unit_file_state(module, unit):
    """`systemctl is-enabled` answer (enabled, disabled, masked, static, ...), or "" when unknown."""
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return ""
    rc, out, err = module.run_command([systemctl, "is-enabled", unit])
    return out.strip().splitlines()[0] if out.strip() else ""


def container(module):
    """The container technology the host runs in ("docker", "lxc", ...) or "" on a VM/metal."""
    detect = module.get_bin_path("systemd-detect-virt")
    if detect:
        rc, out, err = module.run_command([detect, "--container"])
        if rc == 0 and out.strip() not in ("", "none"):
            return out.strip()
        return ""
    if os.path.exists("/.dockerenv"):
        return "docker"
    return ""


# Where systemd-sysctl reads its files: a name in an earlier directory hides the same
# name in a later one; the survivors are applied in file name order, /etc/sysctl.conf last.
SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")


def sysctl_files(dirs=SYSCTL_DIRS, main="/etc/sysctl.conf"):
    """The sysctl files that apply at boot, in the order they are applied."""
    chosen = {}
    for directory in dirs:
        for path in files_in(os.path.join(directory, "*.conf")):
            chosen.setdefault(os.path.basename(path), path)
    ordered = [chosen[name] for name in sorted(chosen)]
    real = [os.path.realpath(p) for p in ordered]
    if os.path.isfile(main) and os.path.realpath(main) not in real:
        ordered.append(main)
    return ordered


def sysctl_persisted(key, files):
    """{"value", "path"} of the last assignment of a sysctl key in files (applied order), or Nones."""
    found = {"value": None, "path": None}
    wanted = key.replace("/", ".")
    for path in files:
        for line in (read_text(path) or "").splitlines():
            line = line.strip()
            if not line or line[0] in "#;" or "=" not in line:
                continue
            name, value = line.split("=", 1)
            if name.strip().lstrip("-").replace("/", ".") == wanted:
                found = {"value": value.strip(), "path": path}
    return found


def sysctl_running(key):
    """The running kernel's value of a sysctl (text), or None."""
    text = read_text("/proc/sys/" + key.replace(".", "/"))
    return text.strip() if text is not None else None
