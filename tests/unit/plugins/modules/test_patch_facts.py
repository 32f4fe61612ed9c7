"""patch_facts helpers that run without python3-apt (os-release, reboot flag)."""
from ansible_collections.startsecure.hardening.plugins.modules import patch_facts


def test_read_os_release(tmp_path):
    path = tmp_path / "os-release"
    path.write_text('ID=debian\nVERSION_CODENAME=trixie\nNAME="Debian GNU/Linux"\n')
    values = patch_facts.read_os_release(str(path))
    assert values["ID"] == "debian" and values["VERSION_CODENAME"] == "trixie"
    assert values["NAME"] == "Debian GNU/Linux"
    assert patch_facts.read_os_release(str(tmp_path / "missing")) == {}


def test_reboot_state(tmp_path):
    flag = tmp_path / "reboot-required"
    assert patch_facts.reboot_state(str(flag)) == (False, [])
    flag.write_text("*** System restart required ***\n")
    (tmp_path / "reboot-required.pkgs").write_text("linux-image-amd64\nlibc6\nlibc6\n")
    assert patch_facts.reboot_state(str(flag)) == (True, ["libc6", "linux-image-amd64"])
