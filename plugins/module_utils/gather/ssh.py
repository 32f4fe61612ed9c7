# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather what the ssh controls judge: effective sshd settings, host keys, moduli, file modes.

Parsing is the ssh role's own (module_utils/ssh_config.py and ssh_keys.py), so the
audit reads sshd exactly as the role and its ssh_facts module do.
"""

from __future__ import annotations

import os

from ansible_collections.startsecure.hardening.plugins.module_utils.gather.common import file_mode, files_in, read_text
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_config import moduli_summary, parse_sshd_t
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.ssh_keys import parse_public_key


def gather(module, sshd_config="/etc/ssh/sshd_config", moduli_min_bits=3072):
    sshd = module.get_bin_path("sshd", opt_dirs=["/usr/sbin", "/usr/local/sbin", "/sbin"])
    facts = {"installed": bool(sshd), "config": file_mode(sshd_config), "effective": {}, "effective_error": "",
             "host_keys": [], "moduli": {}}
    if not sshd:
        facts["effective_error"] = "sshd is not installed"
        return facts
    # sshd -T needs its privilege separation directory; on a socket-activated or
    # never-started sshd it may be missing. Say so instead of creating it (read-only).
    rc, out, err = module.run_command([sshd, "-T", "-f", sshd_config])
    if rc == 0:
        facts["effective"] = parse_sshd_t(out)
    else:
        facts["effective_error"] = (err or out).strip() or "sshd -T exited %d" % rc
    for path in files_in("/etc/ssh/ssh_host_*_key.pub"):
        key = parse_public_key(read_text(path) or "") or {}
        private = path[:-4]
        facts["host_keys"].append({"path": path, "type": key.get("type"), "bits": key.get("bits"),
                                   "private": file_mode(private)})
    moduli_path = "/etc/ssh/moduli"
    text = read_text(moduli_path)
    facts["moduli"] = dict(moduli_summary(text or "", moduli_min_bits), exists=text is not None)
    facts["dropins"] = [file_mode(p) for p in files_in(os.path.join(os.path.dirname(sshd_config), "sshd_config.d", "*.conf"))]
    return facts
