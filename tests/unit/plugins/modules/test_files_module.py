# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.modules import files


def test_applies_and_reports_per_file(tmp_path, run_module):
    args = {"files": [{"dest": str(tmp_path / "a.conf"), "content": "a\n"},
                      {"dest": str(tmp_path / "b.conf"), "content": "b\n", "mode": "0600"}], "mode": "0644"}
    failed, result = run_module(files.main, args, check_mode=True, diff=True)
    assert not failed, result
    assert result["changed"] is True and len(result["diff"]) == 2
    assert not (tmp_path / "a.conf").exists()
    failed, result = run_module(files.main, args)
    assert result["changed_files"] == [str(tmp_path / "a.conf"), str(tmp_path / "b.conf")]
    assert oct((tmp_path / "b.conf").stat().st_mode & 0o777) == "0o600"
    failed, result = run_module(files.main, args)
    assert result["changed"] is False


def test_bad_entry_fails_naming_the_option(tmp_path, run_module):
    failed, result = run_module(files.main, {"files": [{"dest": str(tmp_path / "a"), "content": "", "mode": "rw"}]})
    assert failed and result["option"] == "files[0].mode" and "files[0].mode" in result["msg"]
    failed, result = run_module(files.main, {"files": [], "directory_mode": "x"})
    assert failed and result["option"] == "directory_mode"


def test_validation_failure_fails_naming_the_file(tmp_path, run_module):
    (tmp_path / "a.conf").write_text("old\n")
    failed, result = run_module(files.main, {"files": [
        {"dest": str(tmp_path / "a.conf"), "content": "new\n", "validate": "false %s"}]})
    assert failed and result["file"] == str(tmp_path / "a.conf") and str(tmp_path / "a.conf") in result["msg"]
    assert (tmp_path / "a.conf").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.conf"]
