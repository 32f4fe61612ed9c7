# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of the files module: plan, validate all, then rename; check mode predicts the real run."""

from __future__ import annotations

import grp
import os
import pwd
import stat

import pytest

from ansible_collections.startsecure.hardening.plugins.module_utils import files as F

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def run_command(cmd):
    import subprocess
    proc = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def apply(files, check=False, diff=False, **defaults):
    return F.apply(F.normalize(files, defaults), check_mode=check, diff=diff, run_command=run_command)


def snapshot(root):
    """Every file and directory under root with content and mode: what a run changed."""
    out = {}
    for base, dirs, names in os.walk(str(root)):
        for name in dirs + names:
            path = os.path.join(base, name)
            st = os.lstat(path)
            data = open(path, "rb").read() if stat.S_ISREG(st.st_mode) else None
            out[path] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), data)
    return out


def changed_paths(before, after):
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


def area(tmp_path):
    """An area with every kind of change: new file in a new directory, content, mode only, removal, unchanged."""
    (tmp_path / "same.conf").write_text("same\n")
    os.chmod(str(tmp_path / "same.conf"), 0o644)
    (tmp_path / "content.conf").write_text("old\n")
    os.chmod(str(tmp_path / "content.conf"), 0o644)
    (tmp_path / "mode.conf").write_text("keep\n")
    os.chmod(str(tmp_path / "mode.conf"), 0o600)
    (tmp_path / "gone.conf").write_text("remove me\n")
    return [
        {"dest": str(tmp_path / "same.conf"), "content": "same\n"},
        {"dest": str(tmp_path / "content.conf"), "content": "new\n", "validate": "grep -q new %s"},
        {"dest": str(tmp_path / "mode.conf"), "content": "keep\n"},
        {"dest": str(tmp_path / "new.d" / "a.conf"), "content": "a\n"},
        {"dest": str(tmp_path / "gone.conf"), "state": "absent"},
        {"dest": str(tmp_path / "never.conf"), "state": "absent"},
    ]


def test_check_mode_predicts_per_file_exactly_what_the_real_run_changes(tmp_path):
    files = area(tmp_path)
    before = snapshot(tmp_path)
    predicted = apply(files, check=True, diff=True, owner=ME, group=MY_GROUP, mode="0644")
    assert snapshot(tmp_path) == before, "check mode wrote something"
    real = apply(files, diff=True, owner=ME, group=MY_GROUP, mode="0644")
    after = snapshot(tmp_path)
    # The prediction is the real run's result, file by file, reasons and diffs included.
    assert predicted["changed_files"] == real["changed_files"]
    assert [(f["dest"], f["reasons"], f["created_dirs"]) for f in predicted["files"]] == \
        [(f["dest"], f["reasons"], f["created_dirs"]) for f in real["files"]]
    assert predicted["diff"] == real["diff"]
    # ...and it is what really changed on disk (a created directory counts for its file).
    really = changed_paths(before, after)
    assert really == sorted(set(predicted["changed_files"]) | {str(tmp_path / "new.d")})
    assert predicted["changed_files"] == [str(tmp_path / n) for n in ("content.conf", "mode.conf", "new.d/a.conf",
                                                                      "gone.conf")]
    reasons = dict((f["dest"], f["reasons"]) for f in real["files"])
    assert reasons[str(tmp_path / "mode.conf")] == ["mode"]
    assert reasons[str(tmp_path / "gone.conf")] == ["removed"]
    assert reasons[str(tmp_path / "same.conf")] == []
    assert (tmp_path / "content.conf").read_text() == "new\n"
    assert stat.S_IMODE(os.stat(str(tmp_path / "mode.conf")).st_mode) == 0o644
    assert not (tmp_path / "gone.conf").exists()


def test_second_run_changes_nothing(tmp_path):
    files = area(tmp_path)
    assert apply(files, mode="0644")["changed"] is True
    before = snapshot(tmp_path)
    again = apply(files, mode="0644")
    assert again["changed"] is False and again["changed_files"] == []
    again = apply(files, check=True, diff=True, mode="0644")
    assert again["changed"] is False and again["diff"] == []
    assert snapshot(tmp_path) == before


def test_validation_failure_names_the_file_and_leaves_every_file_untouched(tmp_path):
    (tmp_path / "a.conf").write_text("old a\n")
    (tmp_path / "b.conf").write_text("old b\n")
    before = snapshot(tmp_path)
    files = [{"dest": str(tmp_path / "a.conf"), "content": "new a\n"},
             {"dest": str(tmp_path / "b.conf"), "content": "broken\n", "validate": "grep -q ^new %s"}]
    with pytest.raises(F.FilesError) as err:
        apply(files)
    assert str(tmp_path / "b.conf") in err.value.msg and "validation" in err.value.msg
    assert err.value.dest == str(tmp_path / "b.conf")
    # a.conf validated (it has no validate) but is not replaced either: the area is all or nothing.
    assert snapshot(tmp_path) == before, "a file changed or a temporary file was left behind"
    # Check mode fails the same way, so it never promises a run that would fail.
    with pytest.raises(F.FilesError):
        apply(files, check=True)
    assert snapshot(tmp_path) == before


def test_validate_sees_the_new_content_beside_the_destination(tmp_path):
    seen = tmp_path / "seen"
    files = [{"dest": str(tmp_path / "x.conf"), "content": "hello\n",
              "validate": "sh -c 'dirname \"$1\" > %s.dir; cat \"$1\" > %s' sh %%s" % (seen, seen)}]
    apply(files)
    assert seen.read_text() == "hello\n"
    assert (tmp_path / "seen.dir").read_text().strip() == str(tmp_path)


def test_validate_in_check_mode_runs_outside_the_destination_directory(tmp_path):
    seen = tmp_path / "seen"
    files = [{"dest": str(tmp_path / "etc" / "x.conf"), "content": "hello\n",
              "validate": "sh -c 'cat \"$1\" > %s' sh %%s" % seen}]
    result = apply(files, check=True)
    assert seen.read_text() == "hello\n"
    assert result["files"][0]["validated"] is True
    assert not (tmp_path / "etc").exists()


def test_check_mode_without_the_validator_installed_warns_instead_of_failing(tmp_path):
    files = [{"dest": str(tmp_path / "x.conf"), "content": "x\n", "validate": "no-such-validator-here %s"}]
    result = apply(files, check=True)
    assert result["changed"] is True and result["files"][0]["validated"] is False
    assert "not validated" in result["warnings"][0]
    with pytest.raises(F.FilesError):
        apply(files)
    assert not (tmp_path / "x.conf").exists()


def test_backup_keeps_the_old_content(tmp_path):
    (tmp_path / "a.conf").write_text("old\n")
    result = apply([{"dest": str(tmp_path / "a.conf"), "content": "new\n", "backup": True}])
    backup = result["files"][0]["backup_file"]
    assert open(backup).read() == "old\n" and (tmp_path / "a.conf").read_text() == "new\n"


def test_owner_and_group_are_applied(tmp_path):
    result = apply([{"dest": str(tmp_path / "a.conf"), "content": "x\n", "owner": ME, "group": MY_GROUP,
                     "mode": "0640"}])
    st = os.stat(str(tmp_path / "a.conf"))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (os.getuid(), os.getgid(), 0o640)
    assert result["files"][0]["reasons"] == ["created"]


def test_diff_is_one_entry_per_changed_file(tmp_path):
    (tmp_path / "a.conf").write_text("old\n")
    result = apply([{"dest": str(tmp_path / "a.conf"), "content": "new\n"},
                    {"dest": str(tmp_path / "b.conf"), "content": "b\n"}], check=True, diff=True)
    assert result["diff"] == [
        {"before": "old\n", "after": "new\n", "before_header": str(tmp_path / "a.conf"),
         "after_header": str(tmp_path / "a.conf")},
        {"before": "", "after": "b\n", "before_header": "/dev/null", "after_header": str(tmp_path / "b.conf")},
    ]


@pytest.mark.parametrize("files,defaults,option,words", [
    ("x", {}, "files", "must be a list"),
    (["x"], {}, "files[0]", "must be a dict"),
    ([{"dest": "relative.conf", "content": ""}], {}, "files[0].dest", "absolute path"),
    ([{"dest": "/a", "content": 1}], {}, "files[0].content", "content is required"),
    ([{"dest": "/a"}], {}, "files[0].content", "content is required"),
    ([{"dest": "/a", "state": "absent", "content": "x"}], {}, "files[0].content", "cannot be given"),
    ([{"dest": "/a", "content": "", "state": "gone"}], {}, "files[0].state", "present or absent"),
    ([{"dest": "/a", "content": "", "mode": "u+rw"}], {}, "files[0].mode", "octal mode"),
    ([{"dest": "/a", "content": ""}], {"mode": "99999"}, "mode", "octal mode"),
    ([{"dest": "/a", "content": "", "validate": "true"}], {}, "files[0].validate", "%s"),
    ([{"dest": "/a", "content": "", "owner": "no-such-user-xyz"}], {}, "files[0].owner", "no user"),
    ([{"dest": "/a", "content": ""}], {"group": "no-such-group-xyz"}, "group", "no group"),
    ([{"dest": "/a", "content": "", "backup": "yes"}], {}, "files[0].backup", "true or false"),
    ([{"dest": "/a", "src": "t.j2"}], {}, "files[0].src", "action plugin"),
    ([{"dest": "/a", "content": ""}, {"dest": "/a/", "content": ""}], {}, "files[1].dest", "already given"),
])
def test_bad_input_is_refused_naming_the_option(files, defaults, option, words):
    with pytest.raises(F.FilesError) as err:
        F.normalize(files, defaults)
    assert err.value.option == option
    assert words in err.value.msg and option.split(".")[0] in err.value.msg


def test_a_directory_in_the_way_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(F.FilesError) as err:
        apply([{"dest": str(tmp_path / "d"), "content": "x"}], check=True)
    assert "not a regular file" in err.value.msg and err.value.dest == str(tmp_path / "d")
