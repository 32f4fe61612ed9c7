# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generated grub.cfg, judged for unattended boots (console role, issue 12)."""
from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.filter.grub_unattended_problems import grub_unattended_problems
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.grub_cfg import (
    parse_grub_cfg,
    unattended_problems,
)

# Shaped like Debian 12's grub-mkconfig output (00_header, 01_startsecure_password, 10_linux).
HEADER = """\
if [ -s $prefix/grubenv ]; then
  load_env
fi
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="%(default)s"
fi
function load_video {
  if [ x$feature_all_video_module = xy ]; then
    insmod all_video
  fi
}
### BEGIN /etc/grub.d/01_startsecure_password ###
set superusers="grubadmin"
password_pbkdf2 grubadmin grub.pbkdf2.sha512.100000.AB.CD
export superusers
### END /etc/grub.d/01_startsecure_password ###
"""
ENTRIES = (
    "menuentry 'Debian GNU/Linux' --class gnu-linux --class gnu --class os%(extra)s"
    " $menuentry_id_option 'gnulinux-simple-1234' {\n"
    "\tload_video\n"
    "\tlinux\t/boot/vmlinuz-6.1.0-28-amd64 root=UUID=1234 ro quiet\n"
    "\tinitrd\t/boot/initrd.img-6.1.0-28-amd64\n"
    "}\n"
    "submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-1234' {\n"
    "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-28-amd64' --class gnu-linux --class gnu --class os%(extra)s"
    " $menuentry_id_option 'gnulinux-6.1.0-28-amd64-advanced-1234' {\n"
    "\t\tlinux\t/boot/vmlinuz-6.1.0-28-amd64 root=UUID=1234 ro quiet\n"
    "\t}\n"
    "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-28-amd64 (recovery mode)' --class gnu-linux --class gnu --class os"
    " $menuentry_id_option 'gnulinux-6.1.0-28-amd64-recovery-1234' {\n"
    "\t\tlinux\t/boot/vmlinuz-6.1.0-28-amd64 root=UUID=1234 ro single\n"
    "\t}\n"
    "}\n"
)


def cfg(default="0", unrestricted=True, superusers=True):
    text = HEADER % {"default": default} + ENTRIES % {"extra": " --unrestricted" if unrestricted else ""}
    return text if superusers else text.replace('set superusers="grubadmin"\n', "")


def test_parse_nesting_ids_and_settings():
    parsed = parse_grub_cfg(cfg())
    assert parsed["superusers"] and parsed["default"] == ["${next_entry}", "0"]
    assert [e["title"] for e in parsed["entries"]] == ["Debian GNU/Linux", "Advanced options for Debian GNU/Linux"]
    first, submenu = parsed["entries"]
    assert first["unrestricted"] and first["id"] == "gnulinux-simple-1234"
    assert submenu["kind"] == "submenu" and len(submenu["children"]) == 2  # the function block is no entry
    assert submenu["children"][0]["unrestricted"] and not submenu["children"][1]["unrestricted"]


def test_unrestricted_default_entry_passes():
    assert unattended_problems(cfg()) == []
    assert grub_unattended_problems(cfg()) == []


def test_restricted_default_entry_is_named():
    problems = unattended_problems(cfg(unrestricted=False))
    assert len(problems) == 1, problems
    assert "the default entry '0' (menuentry 'Debian GNU/Linux') has no --unrestricted" in problems[0]


def test_without_superusers_nothing_asks():
    assert unattended_problems(cfg(unrestricted=False, superusers=False)) == []


def test_default_inside_the_submenu_needs_the_submenu_too():
    # GRUB_DEFAULT="1>0": the submenu line carries no --unrestricted in 10_linux
    problems = unattended_problems(cfg(default="1>0"))
    assert len(problems) == 1 and "submenu 'Advanced options for Debian GNU/Linux'" in problems[0], problems


def test_default_by_id_title_saved_entry_and_fallback():
    assert unattended_problems(cfg(default="gnulinux-simple-1234")) == []
    problems = unattended_problems(cfg(default="Debian GNU/Linux, with Linux 6.1.0-28-amd64 (recovery mode)"))
    assert any("recovery mode" in p for p in problems), problems
    assert unattended_problems(cfg(default="${saved_entry}"), saved_entry="gnulinux-simple-1234") == []
    text = cfg().replace('set default="0"\n', 'set default="0"\nset fallback="1>1"\n')
    problems = unattended_problems(text)
    assert any(p.startswith("the fallback entry '1>1'") and "recovery mode" in p for p in problems), problems


def test_default_naming_no_entry_is_reported():
    problems = unattended_problems(cfg(default="7"))
    assert problems == ["the default entry '7' names no menu entry in grub.cfg, so it cannot be "
                        "shown to boot without the password"]
