# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply a set of files in one go: the logic of the `files` module, free of AnsibleModule.

One area of a role (its drop-ins, its configuration files) is one list of entries; the
whole list is planned, then every new content is written to a temporary file beside
its destination and validated, and only when ALL of them validated are they renamed
into place. A validation failure therefore leaves every file of the area as it was and
names the file that failed. Check mode runs the same plan (and the same validation, on
a copy outside the destination's directory), so what it reports is what a real run does.
"""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import shutil
import stat
import tempfile
import time

ENTRY_KEYS = ("dest", "content", "state", "owner", "group", "mode", "validate", "backup")
DEFAULT_KEYS = ("owner", "group", "mode", "backup", "directory_mode")
# Larger files are applied but not shown in the diff.
DIFF_LIMIT = 256 * 1024


class FilesError(Exception):
    """Bad input or a failed write; `option` names the offending option, `dest` the file."""

    def __init__(self, msg, option=None, dest=None, **details):
        super(FilesError, self).__init__(msg)
        self.msg = msg
        self.option = option
        self.dest = dest
        self.details = details


def _mode(value, option):
    """A mode as a number: a string is read in octal ("0644"), an int is taken as it is (YAML's 0o644)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise FilesError("%s must be an octal mode such as \"0644\", not %r" % (option, value), option=option)
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not text or any(c not in "01234567" for c in text) or len(text) > 5:
            raise FilesError("%s must be an octal mode such as \"0644\", not %r" % (option, value), option=option)
        number = int(text, 8)
    if number < 0 or number > 0o7777:
        raise FilesError("%s must be an octal mode between 0000 and 7777, not %r" % (option, value), option=option)
    return number


def _user(name, option):
    if name is None:
        return None
    try:
        return pwd.getpwnam(str(name)).pw_uid
    except KeyError:
        if str(name).isdigit():
            return int(name)
        raise FilesError("%s: no user %r on this host" % (option, name), option=option)


def _group(name, option):
    if name is None:
        return None
    try:
        return grp.getgrnam(str(name)).gr_gid
    except KeyError:
        if str(name).isdigit():
            return int(name)
        raise FilesError("%s: no group %r on this host" % (option, name), option=option)


def normalize(files, defaults=None):
    """Check the entries and fill in the defaults; raises FilesError naming the option."""
    defaults = dict(defaults or {})
    for key in defaults:
        if key not in DEFAULT_KEYS:
            raise FilesError("unknown option %s" % key, option=key)
    if not isinstance(files, list):
        raise FilesError("files must be a list of entries (dest plus content or state=absent), got %s"
                         % type(files).__name__, option="files")
    out = []
    seen = {}
    for index, entry in enumerate(files):
        where = "files[%d]" % index
        if not isinstance(entry, dict):
            raise FilesError("%s must be a dict with dest and content, got %s" % (where, type(entry).__name__),
                             option=where)
        unknown = sorted(set(entry) - set(ENTRY_KEYS))
        if unknown:
            hint = " (src is rendered by the action plugin: call startsecure.hardening.files as a task)" \
                if "src" in unknown else ""
            raise FilesError("%s.%s is not a known option; known: %s%s"
                             % (where, unknown[0], ", ".join(ENTRY_KEYS), hint), option="%s.%s" % (where, unknown[0]))
        dest = entry.get("dest")
        if not isinstance(dest, str) or not dest.startswith("/"):
            raise FilesError("%s.dest must be an absolute path, got %r" % (where, dest), option=where + ".dest")
        dest = os.path.normpath(dest)
        if dest in seen:
            raise FilesError("%s.dest %s is already given by files[%d]" % (where, dest, seen[dest]),
                             option=where + ".dest", dest=dest)
        seen[dest] = index
        state = entry.get("state") or "present"
        if state not in ("present", "absent"):
            raise FilesError("%s.state must be present or absent, got %r" % (where, state), option=where + ".state",
                             dest=dest)
        content = entry.get("content")
        if state == "present" and not isinstance(content, str):
            raise FilesError("%s.content is required (a string) for %s" % (where, dest), option=where + ".content",
                             dest=dest)
        if state == "absent" and content is not None:
            raise FilesError("%s.content cannot be given with state=absent (%s)" % (where, dest),
                             option=where + ".content", dest=dest)
        validate = entry.get("validate")
        if validate is not None and (not isinstance(validate, str) or "%s" not in validate):
            raise FilesError("%s.validate must be a command containing %%s (the new file), got %r"
                             % (where, validate), option=where + ".validate", dest=dest)
        mode = entry.get("mode", defaults.get("mode"))
        owner = entry.get("owner", defaults.get("owner"))
        group = entry.get("group", defaults.get("group"))
        option = where + ".mode" if "mode" in entry else "mode"
        backup = entry.get("backup", defaults.get("backup", False))
        if not isinstance(backup, bool):
            raise FilesError("%s.backup must be true or false, got %r" % (where, backup), option=where + ".backup",
                             dest=dest)
        out.append(dict(
            dest=dest, state=state, content=content, validate=validate, backup=backup,
            mode=_mode(mode, option) if state == "present" else None,
            uid=_user(owner, where + ".owner" if "owner" in entry else "owner") if state == "present" else None,
            gid=_group(group, where + ".group" if "group" in entry else "group") if state == "present" else None,
            owner=owner, group=group,
        ))
    return out


def _read(dest):
    """(stat or None, bytes or None) of dest; a directory or other non-file is an error."""
    try:
        st = os.lstat(dest)
    except FileNotFoundError:
        return None, None
    if not stat.S_ISREG(st.st_mode):
        raise FilesError("%s exists and is not a regular file" % dest, dest=dest)
    with open(dest, "rb") as handle:
        return st, handle.read()


def _missing_dirs(dest):
    missing = []
    directory = os.path.dirname(dest)
    while directory and not os.path.isdir(directory):
        if os.path.lexists(directory):
            raise FilesError("%s: %s exists and is not a directory" % (dest, directory), dest=dest)
        missing.append(directory)
        directory = os.path.dirname(directory)
    return list(reversed(missing))


def _text(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def plan(entry):
    """What applying one entry changes: a dict with dest, state, changed and the reasons."""
    st, before = _read(entry["dest"])
    item = dict(dest=entry["dest"], state=entry["state"], changed=False, reasons=[], created_dirs=[])
    item["_before"] = before
    if entry["state"] == "absent":
        if st is not None:
            item.update(changed=True, reasons=["removed"])
        return item
    after = entry["content"].encode("utf-8")
    item["_after"] = after
    if st is None:
        item["created_dirs"] = _missing_dirs(entry["dest"])
        item.update(changed=True, reasons=["created"])
        return item
    reasons = []
    if before != after:
        reasons.append("content")
    if entry["mode"] is not None and stat.S_IMODE(st.st_mode) != entry["mode"]:
        reasons.append("mode")
        item["mode_before"] = "%04o" % stat.S_IMODE(st.st_mode)
    if entry["uid"] is not None and st.st_uid != entry["uid"]:
        reasons.append("owner")
    if entry["gid"] is not None and st.st_gid != entry["gid"]:
        reasons.append("group")
    item.update(changed=bool(reasons), reasons=reasons)
    return item


def diff_of(entry, item):
    """The diff of one planned entry, as Ansible's callbacks print it."""
    before, after = item.get("_before"), item.get("_after")
    diff = dict(before_header=entry["dest"] if before is not None else "/dev/null",
                after_header=entry["dest"] if entry["state"] == "present" else "/dev/null")
    if (before is not None and len(before) > DIFF_LIMIT) or (after is not None and len(after) > DIFF_LIMIT):
        diff.update(before="", after="", after_header=entry["dest"] + " (too large to show)")
        return diff
    before_text = _text(before) if before is not None else ""
    after_text = _text(after) if after is not None else ""
    if before_text is None or after_text is None:
        diff.update(before="", after="", after_header=entry["dest"] + " (binary, not shown)")
        return diff
    attrs = [r for r in item["reasons"] if r in ("mode", "owner", "group")]
    if attrs:
        diff["after_header"] = "%s (%s)" % (entry["dest"], ", ".join(attrs))
        if "mode" in attrs:
            before_text += "# mode %s\n" % item["mode_before"]
            after_text += "# mode %04o\n" % entry["mode"]
    diff.update(before=before_text, after=after_text)
    return diff


def _run_validate(entry, path, run_command):
    rc, out, err = run_command(entry["validate"] % path)
    if rc != 0:
        raise FilesError("validation of the new %s failed (rc=%d): %s; nothing of this area was changed"
                         % (entry["dest"], rc, (err or out or "").strip()), option="validate", dest=entry["dest"],
                         rc=rc, stdout=out, stderr=err)


def _validator_present(command):
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return False
    return bool(shutil.which(program)) if "/" not in program else os.access(program, os.X_OK)


def _backup(dest):
    backup = "%s.%d.%s~" % (dest, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S"))
    shutil.copy2(dest, backup)
    return backup


def apply(entries, check_mode=False, diff=False, run_command=None, directory_mode=0o755):
    """Plan, validate and (unless check_mode) apply every entry. Returns the module's result.

    run_command(cmd) -> (rc, stdout, stderr) runs a validate command (AnsibleModule.run_command).
    Raises FilesError (nothing changed) when a validation fails or a file cannot be read.
    """
    items = [plan(entry) for entry in entries]
    temps = []
    warnings = []
    try:
        # Phase 1: every new content written beside its destination and validated.
        for entry, item in zip(entries, items):
            if entry["state"] != "present" or not ({"created", "content"} & set(item["reasons"])):
                continue
            if entry["validate"] and check_mode:
                if not _validator_present(entry["validate"]):
                    warnings.append("%s: the validate command is not installed yet, not validated in check mode"
                                    % entry["dest"])
                    item["validated"] = False
                    continue
                scratch = tempfile.mkdtemp(prefix="startsecure-files-")
                temps.append(scratch)
                path = os.path.join(scratch, os.path.basename(entry["dest"]))
                with open(path, "wb") as handle:
                    handle.write(item["_after"])
                _run_validate(entry, path, run_command)
                item["validated"] = True
            if check_mode:
                continue
            for directory in item["created_dirs"]:
                if os.path.isdir(directory):  # made for an earlier entry of this call
                    continue
                os.mkdir(directory, directory_mode)
                os.chmod(directory, directory_mode)
            fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(entry["dest"]),
                                       dir=os.path.dirname(entry["dest"]))
            temps.append(tmp)
            with os.fdopen(fd, "wb") as handle:
                handle.write(item["_after"])
            old = None if "created" in item["reasons"] else os.stat(entry["dest"])
            mode = entry["mode"] if entry["mode"] is not None else (
                stat.S_IMODE(old.st_mode) if old else 0o666 & ~_umask())
            uid = entry["uid"] if entry["uid"] is not None else (old.st_uid if old else -1)
            gid = entry["gid"] if entry["gid"] is not None else (old.st_gid if old else -1)
            if uid != -1 or gid != -1:
                os.chown(tmp, uid, gid)
            os.chmod(tmp, mode)
            if entry["validate"]:
                _run_validate(entry, tmp, run_command)
                item["validated"] = True
            item["_tmp"] = tmp
        # Phase 2: all validated, so every file is replaced (rename) or fixed in place.
        if not check_mode:
            for entry, item in zip(entries, items):
                if not item["changed"]:
                    continue
                if entry["backup"] and item["_before"] is not None:
                    item["backup_file"] = _backup(entry["dest"])
                if entry["state"] == "absent":
                    os.unlink(entry["dest"])
                elif "_tmp" in item:
                    os.rename(item.pop("_tmp"), entry["dest"])
                else:
                    if "owner" in item["reasons"] or "group" in item["reasons"]:
                        os.chown(entry["dest"], entry["uid"] if entry["uid"] is not None else -1,
                                 entry["gid"] if entry["gid"] is not None else -1)
                    if "mode" in item["reasons"] or "owner" in item["reasons"] or "group" in item["reasons"]:
                        if entry["mode"] is not None:
                            os.chmod(entry["dest"], entry["mode"])
    finally:
        for path in temps:
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                os.unlink(path)
    results = []
    diffs = []
    for entry, item in zip(entries, items):
        if diff and item["changed"]:
            diffs.append(diff_of(entry, item))
        results.append(dict((k, v) for k, v in item.items() if not k.startswith("_") and k != "mode_before"))
    response = dict(changed=any(i["changed"] for i in items), files=results,
                    changed_files=[i["dest"] for i in items if i["changed"]])
    if diff:
        response["diff"] = diffs
    if warnings:
        response["warnings"] = warnings
    return response


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
