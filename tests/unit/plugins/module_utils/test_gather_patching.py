# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os

from ansible_collections.startsecure.hardening.plugins.module_utils.gather import patching as gather_patching
from ansible_collections.startsecure.hardening.plugins.module_utils.gather.processes import stale_processes

# Recorded `apt-config dump` lines from a Debian 12 guest hardened by the patching role.
DUMP = '''APT::Periodic "";
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
Unattended-Upgrade "";
Unattended-Upgrade::Origins-Pattern "";
Unattended-Upgrade::Origins-Pattern:: "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";
Unattended-Upgrade::Origins-Pattern:: "origin=Debian,codename=${distro_codename},label=Debian-Security";
Unattended-Upgrade::Automatic-Reboot "false";
DPkg::Pre-Install-Pkgs:: "/usr/sbin/dpkg-preconfigure --apt || true";
'''


def test_parse_apt_config_lists_and_scalars():
    values = gather_patching.parse_apt_config(DUMP)
    assert values["APT::Periodic::Unattended-Upgrade"] == "1"
    assert values["Unattended-Upgrade::Origins-Pattern"] == [
        "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
        "origin=Debian,codename=${distro_codename},label=Debian-Security"]
    assert values["Unattended-Upgrade::Automatic-Reboot"] == "false"
    assert gather_patching.parse_apt_config("") == {}


def test_stale_processes_reads_deleted_libraries(tmp_path):
    for pid, maps in (("10", "7f00-7f01 r-xp 0 08:01 1 /usr/lib/x86_64-linux-gnu/libssl.so.3 (deleted)\n"),
                      ("11", "7f00-7f01 r-xp 0 08:01 1 /usr/lib/x86_64-linux-gnu/libc.so.6\n"),
                      ("12", "7f00-7f01 rw-s 0 00:01 1 /memfd:x (deleted)\n")):
        os.makedirs(tmp_path / pid)
        (tmp_path / pid / "maps").write_text(maps)
        (tmp_path / pid / "comm").write_text("proc%s\n" % pid)
    (tmp_path / "self").mkdir()
    found = stale_processes(str(tmp_path))
    assert found == [{"pid": 10, "name": "proc10", "libraries": ["/usr/lib/x86_64-linux-gnu/libssl.so.3"]}]
