# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.module_utils.gather import common as gather_common
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import console as gather_console


def test_sudoers_lines_join_continuations_and_keep_includes():
    text = ("# comment\nDefaults\tenv_reset\nDefaults use_pty, \\\n   logfile=\"/var/log/sudo.log\"\n"
            "#includedir /etc/sudoers.d\n\nroot ALL=(ALL:ALL) ALL\n")
    assert gather_console.sudoers_lines(text) == [
        "Defaults\tenv_reset", 'Defaults use_pty, logfile="/var/log/sudo.log"', "#includedir /etc/sudoers.d",
        "root ALL=(ALL:ALL) ALL"]


def test_tmout_and_readonly_patterns_match_the_console_template():
    script = ("if ! readonly -p 2>/dev/null | grep -q '[ ]TMOUT='; then\n    TMOUT=900\n    readonly TMOUT\n"
              "    export TMOUT\nfi\n")
    assert [int(m.group(1)) for m in gather_console._TMOUT.finditer(script)] == [900]
    assert gather_console._READONLY.search(script)
    assert not gather_console._READONLY.search("TMOUT=900\nexport TMOUT\n")


def test_pam_patterns():
    su = "auth       sufficient pam_rootok.so\nauth       requisite  pam_wheel.so use_uid group=wheel\n"
    assert gather_console._PAM_WHEEL.search(su).group("args").split() == ["use_uid", "group=wheel"]
    assert not gather_console._PAM_WHEEL.search("# auth       required   pam_wheel.so\n")
    login = "auth       requisite  pam_access.so accessfile=/etc/security/access-console.conf nodefgroup\n"
    assert gather_console._PAM_ACCESS.search(login).group("file") == "/etc/security/access-console.conf"


class FakeModule:
    def __init__(self, out, rc=0):
        self.out, self.rc, self.calls = out, rc, []

    def get_bin_path(self, name, opt_dirs=None):
        return "/bin/" + name

    def run_command(self, argv):
        self.calls.append(argv)
        return self.rc, self.out, ""


def test_systemctl_show_many_splits_blocks_in_order_with_one_call():
    module = FakeModule("MemoryMax=infinity\nLoadState=loaded\n\nMemoryMax=1073741824\nLoadState=loaded\n")
    units = gather_common.systemctl_show_many(module, ["system.slice", "user.slice"], ["MemoryMax", "LoadState"])
    assert units == {"system.slice": {"MemoryMax": "infinity", "LoadState": "loaded"},
                     "user.slice": {"MemoryMax": "1073741824", "LoadState": "loaded"}}
    assert len(module.calls) == 1 and module.calls[0][-2:] == ["system.slice", "user.slice"]
    failed = gather_common.systemctl_show_many(FakeModule("", rc=1), ["a.slice"], ["MemoryMax"])
    assert failed == {"a.slice": {}}
