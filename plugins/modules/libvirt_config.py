#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import libvirt_conf


MASK = "********"
_SECRET_LINE = re.compile(r"^(?P<head>[ \t]*[A-Za-z_][A-Za-z0-9_.]*password[ \t]*=[ \t]*).*$", re.MULTILINE)


def _secret(key):
    """Console passwords (vnc_password, spice_password...) never leave the host in the result."""
    return "password" in key


def _mask_text(text):
    return _SECRET_LINE.sub(lambda m: m.group("head") + '"%s"' % MASK, text)


def run_module(module):
    params = module.params
    path = params["path"]
    exists = os.path.exists(path)
    if exists and not os.path.isfile(path):
        module.fail_json(msg="%s is not a regular file" % path, path=path)
    if not exists and not params["create"]:
        module.fail_json(msg="%s does not exist (create=false)" % path, path=path)
    before = ""
    if exists:
        with open(path, "rb") as handle:
            before = to_text(handle.read(), errors="surrogate_or_strict")
    try:
        result = libvirt_conf.edit(before, params["settings"], params["absent"], path=path)
    except libvirt_conf.ConfError as exc:
        module.fail_json(msg="%s" % exc, path=path, line=exc.line, reason=exc.reason)
    changed = result.text != before or not exists
    config = dict((key, MASK if _secret(key) and value else value) for key, value in result.config.items())
    response = dict(changed=changed, changed_keys=result.changed_keys, config=config)
    if module._diff:
        response["diff"] = dict(before=_mask_text(before), after=_mask_text(result.text),
                                before_header=path if exists else "/dev/null", after_header=path)
    if not changed or module.check_mode:
        module.exit_json(**response)

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(to_bytes(result.text))
        if exists:
            st = os.stat(path)
            os.chmod(tmp, st.st_mode & 0o7777)
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass
        else:
            mode = params["mode"]
            if isinstance(mode, str):
                mode = int(mode, 8)
            os.chmod(tmp, mode)
        if params["validate"]:
            if "%s" not in params["validate"]:
                module.fail_json(msg="validate must contain %%s: %s" % params["validate"])
            rc, out, err = module.run_command(params["validate"] % tmp)
            if rc != 0:
                module.fail_json(msg="validation of the new %s failed (rc=%d): %s" % (path, rc, (err or out).strip()),
                                 rc=rc, stdout=out, stderr=err, path=path)
        if params["backup"] and exists:
            response["backup_file"] = module.backup_local(path)
        module.atomic_move(tmp, path, unsafe_writes=False)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    module.exit_json(**response)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            settings=dict(type="dict", default={}),
            absent=dict(type="list", elements="str", default=[]),
            backup=dict(type="bool", default=False),
            validate=dict(type="str"),
            create=dict(type="bool", default=True),
            mode=dict(type="raw", default="0644"),
        ),
        supports_check_mode=True,
    )
    try:
        run_module(module)
    except (OSError, IOError) as exc:
        module.fail_json(msg="cannot edit %s: %s" % (module.params["path"], to_native(exc)))


if __name__ == "__main__":
    main()
