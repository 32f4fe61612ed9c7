#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: libvirt_config
short_description: Set and remove keys in a libvirt configuration file, keeping its comments
version_added: "0.1.0"
description:
  - Edits a file in libvirt's configuration syntax (C(qemu.conf), C(libvirtd.conf),
    C(virtqemud.conf), C(virtproxyd.conf), C(virtlogd.conf)...) key by key.
  - Comments and untouched lines stay as they are, byte for byte. A key whose value is
    already the wanted one is not rewritten.
  - A key that is set and only exists commented out (C(#key = value), the way libvirt
    ships its files) is written on the line right after that comment (after the whole
    commented block for a multi-line list), so the shipped documentation stays above it.
    A key found nowhere is appended at the end of the file.
  - When a key appears more than once (libvirt uses the first), the first is set and
    the later ones are removed, so the file says one thing.
  - The file is parsed with libvirt's grammar before anything is written; a malformed
    file makes the module fail with the file, the line number and the reason, and the
    file stays untouched.
  - The new content is written to a temporary file, checked with O(validate) when given,
    and moved over the old one atomically.
author:
  - startsecure engineers (!UNKNOWN)
options:
  path:
    description: The configuration file.
    type: path
    required: true
  settings:
    description:
      - Keys to set, name to value.
      - A string is written quoted, an integer as a number, a boolean as V(1) or V(0),
        a list as a libvirt list. The type matters to libvirt (C(listen_tcp = "0") is an
        error), so give numbers as integers, not as quoted strings.
    type: dict
    default: {}
  absent:
    description: Keys to remove (every occurrence). A commented-out example stays.
    type: list
    elements: str
    default: []
  backup:
    description: Keep a copy of the old file with a timestamp before changing it.
    type: bool
    default: false
  validate:
    description:
      - A command run on the temporary file before it replaces O(path); C(%s) stands for
        the temporary file's path. A non-zero exit fails the module and leaves O(path) as it was.
    type: str
  create:
    description: Create O(path) when it does not exist. When V(false), a missing file is an error.
    type: bool
    default: true
  mode:
    description: Mode of a file the module creates (an existing file keeps its own mode).
    type: raw
    default: "0644"
attributes:
  check_mode:
    support: full
    description: Reports what would change without writing.
  diff_mode:
    support: full
    description: Shows the file before and after.
notes:
  - libvirt strings have no escapes; a value holding both quote kinds is written in
    triple double quotes, and a value with a line break is refused.
"""

EXAMPLES = r"""
- name: Confine guests and keep consoles on the loopback
  startsecure.hardening.libvirt_config:
    path: /etc/libvirt/qemu.conf
    settings:
      security_default_confined: 1
      vnc_listen: 127.0.0.1
      cgroup_device_acl: [/dev/null, /dev/full, /dev/zero, /dev/random, /dev/urandom, /dev/ptmx, /dev/kvm]
    absent: [vnc_password, spice_password]
    backup: true

- name: No plain TCP on libvirtd
  startsecure.hardening.libvirt_config:
    path: /etc/libvirt/libvirtd.conf
    settings:
      listen_tcp: 0
      auth_tcp: sasl
"""

RETURN = r"""
changed:
  description: Whether the file was (or in check mode would be) changed.
  type: bool
  returned: always
changed_keys:
  description: The keys whose value was set, added or removed.
  type: list
  elements: str
  returned: always
  sample: [listen_tcp, auth_tcp]
backup_file:
  description: The backup copy, when O(backup=true) and the file changed.
  type: str
  returned: changed and backup requested
  sample: /etc/libvirt/qemu.conf.12345.2026-01-01@10:00:00~
config:
  description:
    - Every key of the resulting file with its value (what libvirt will read; first occurrence wins).
    - The value of a key whose name contains C(password) is masked, here and in the diff.
  type: dict
  returned: always
  sample: {listen_tcp: 0, auth_tcp: sasl}
"""

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
