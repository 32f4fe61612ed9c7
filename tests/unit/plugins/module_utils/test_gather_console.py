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


# ---- what sulogin does in rescue/emergency mode ----------------------------------
SHADOW = "daemon:*:19000:0:99999:7:::\nroot:%s:19000:0:99999:7:::\nalice:$y$j9T$abc$def:19000::::::\n"


def test_root_password_state_reads_roots_line_only():
    state = gather_console.root_password_state
    assert state(SHADOW % "$y$j9T$salt$hash") == "usable"
    assert state(SHADOW % "$6$salt$hash") == "usable"
    assert state(SHADOW % "*") == "locked"            # debootstrap, cloud images
    assert state(SHADOW % "!") == "locked"            # installer without a root password
    assert state(SHADOW % "!$y$j9T$salt$hash") == "locked"  # passwd -l on a real hash
    assert state(SHADOW % "") == "empty"
    assert state("daemon:*:19000:0:99999:7:::\n") == "missing"
    assert state(None) == "unknown"


def test_sulogin_forced_follows_systemds_final_environment():
    forced = gather_console.sulogin_forced
    assert not forced("", "HOME=/root", "")
    assert forced("", "HOME=/root SYSTEMD_SULOGIN_FORCE=1", "")
    assert forced("", "SYSTEMD_SULOGIN_FORCE=yes", "")
    assert not forced("", "SYSTEMD_SULOGIN_FORCE=0", "")
    # systemd.setenv= on the kernel command line lands in the manager's DefaultEnvironment.
    assert forced("LANG=C SYSTEMD_SULOGIN_FORCE=1", "HOME=/root", "")
    # The unit's own assignment wins over the manager default.
    assert not forced("SYSTEMD_SULOGIN_FORCE=1", "SYSTEMD_SULOGIN_FORCE=0", "")
    # UnsetEnvironment= (what the role writes) is applied last, whatever set it before.
    assert not forced("SYSTEMD_SULOGIN_FORCE=1", "SYSTEMD_SULOGIN_FORCE=1", "SYSTEMD_SULOGIN_FORCE")
    assert forced("", "SYSTEMD_SULOGIN_FORCE=1", "SYSTEMD_SULOGIN_FORCE=0")
    assert forced("", '"SYSTEMD_SULOGIN_FORCE=1" "X=a b"', "")


def test_sulogin_outcome_is_sulogins_own_rule():
    outcome = gather_console.sulogin_outcome
    # The hole of issue 12: the old default (force) on a host whose root is locked.
    assert outcome("locked", True) == "shell"
    assert outcome("locked", False) == "closed"
    assert outcome("missing", True) == "shell"
    assert outcome("missing", False) == "closed"
    assert outcome("usable", True) == "password"
    assert outcome("usable", False) == "password"
    # An empty hash is a shell for Enter, with or without force.
    assert outcome("empty", False) == "shell"
    assert outcome("unknown", True) == "shell"
    assert outcome("unknown", False) == "unknown"


class ShowModule(FakeModule):
    """systemctl: the manager's DefaultEnvironment, then one show block per unit."""

    def __init__(self, default_env, units_out):
        super().__init__("")
        self.default_env, self.units_out = default_env, units_out

    def run_command(self, argv):
        self.calls.append(argv)
        if argv[-1] == "DefaultEnvironment":
            return 0, "DefaultEnvironment=%s\n" % self.default_env, ""
        if "show" in argv:
            return 0, self.units_out, ""
        return 0, "masked\n", ""


def test_gather_reports_the_outcome_not_the_hash(monkeypatch):
    blocks = ("ExecStart={ path=/lib/systemd/systemd-sulogin-shell ; argv[]=x rescue }\nEnvironment=HOME=/root\n"
              "UnsetEnvironment=SYSTEMD_SULOGIN_FORCE\n\n"
              "ExecStart={ path=/lib/systemd/systemd-sulogin-shell ; argv[]=x emergency }\n"
              "Environment=HOME=/root SYSTEMD_SULOGIN_FORCE=1\nUnsetEnvironment=\n")
    real = gather_common.read_text
    monkeypatch.setattr(gather_console, "read_text",
                        lambda path, limit=1024 * 1024: SHADOW % "!" if path == "/etc/shadow" else real("/nonexistent"))
    facts = gather_console.gather(ShowModule("LANG=C", blocks))
    rescue = facts["rescue"]
    assert rescue["root_password"] == "locked"
    assert rescue["rescue.service"]["sulogin_force"] is False and rescue["rescue.service"]["sulogin"] == "closed"
    assert rescue["emergency.service"]["sulogin_force"] is True and rescue["emergency.service"]["sulogin"] == "shell"
    assert "$" not in str(rescue) and "!" not in str(rescue)


# ---- kernel.sysrq as applied at boot ---------------------------------------------
def test_sysctl_files_order_and_override(tmp_path):
    etc, usr = tmp_path / "etc", tmp_path / "usr"
    etc.mkdir()
    usr.mkdir()
    (usr / "50-default.conf").write_text("kernel.sysrq = 0x01b6\n")
    (usr / "90-startsecure-sysrq.conf").write_text("kernel.sysrq = 1\n")
    (etc / "90-startsecure-sysrq.conf").write_text("# policy\nkernel.sysrq = 0\n")   # hides the /usr one
    (etc / "10-early.conf").write_text("kernel/sysrq=176\n")
    main = tmp_path / "sysctl.conf"
    main.write_text(";kernel.sysrq = 1\n")
    files = gather_common.sysctl_files(dirs=(str(etc), str(usr)), main=str(main))
    assert [f.rsplit("/", 2)[-2] + "/" + f.rsplit("/", 1)[-1] for f in files] == [
        "etc/10-early.conf", "usr/50-default.conf", "etc/90-startsecure-sysrq.conf", tmp_path.name + "/sysctl.conf"]
    assert gather_common.sysctl_persisted("kernel.sysrq", files) == {"value": "0", "path": str(etc / "90-startsecure-sysrq.conf")}
    # A later file wins: a 99- drop-in re-enabling it is what the audit reports.
    (etc / "99-local.conf").write_text("kernel.sysrq = 438\n")
    files = gather_common.sysctl_files(dirs=(str(etc), str(usr)), main=str(main))
    assert gather_common.sysctl_persisted("kernel.sysrq", files)["value"] == "438"
    assert gather_common.sysctl_persisted("kernel.sysrq", []) == {"value": None, "path": None}


# ---- the consoles the host really has (fake /proc and /sys trees) ---------------------
def _tree(tmp_path, cmdline=None, active=None, tty0=None, devices=()):
    if cmdline is not None:
        (tmp_path / "proc").mkdir()
        (tmp_path / "proc" / "cmdline").write_text(cmdline)
    for name, text in (("console", active), ("tty0", tty0)):
        if text is not None:
            (tmp_path / "sys" / "class" / "tty" / name).mkdir(parents=True)
            (tmp_path / "sys" / "class" / "tty" / name / "active").write_text(text)
    (tmp_path / "dev").mkdir()
    for device in devices:  # device nodes that exist anyway must not count
        (tmp_path / "dev" / device).write_text("")
    return str(tmp_path)


def test_ipmi_serial_over_lan_and_the_vt(tmp_path):
    root = _tree(tmp_path, "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro console=tty0 console=ttyS1,115200n8 quiet\n",
                 "tty0 ttyS1\n", "tty1\n", devices=["ttyS0", "ttyS1", "ttyS2", "ttyS3"])
    found = gather_console.host_consoles(root)
    assert found == {"cmdline": ["tty1", "ttyS1"], "active": ["tty1", "ttyS1"], "consoles": ["tty1", "ttyS1"]}


def test_hvc0_and_ttyama0_and_dev_prefix(tmp_path):
    root = _tree(tmp_path, "root=/dev/vda console=/dev/hvc0 console=ttyAMA0,115200\n", "hvc0 ttyAMA0\n")
    assert gather_console.host_consoles(root)["consoles"] == ["hvc0", "ttyAMA0"]


def test_active_only_and_current_vt(tmp_path):
    # no console= at all: the kernel picked the VT; tty0 means the foreground VT (tty2 here)
    root = _tree(tmp_path, "root=/dev/vda ro\n", "tty0\n", "tty2\n", devices=["ttyS0"])
    assert gather_console.host_consoles(root) == {"cmdline": [], "active": ["tty2"], "consoles": ["tty2"]}


def test_non_login_consoles_are_dropped_and_nothing_found_is_empty(tmp_path):
    root = _tree(tmp_path, "console=lp0 console=netcon0 console=null\n")
    assert gather_console.host_consoles(root)["consoles"] == []
    assert gather_console.host_consoles(str(tmp_path / "missing"))["consoles"] == []
