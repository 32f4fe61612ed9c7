#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.startsecure.hardening.plugins.module_utils import files as files_utils


def run_module(module):
    params = module.params
    defaults = dict((key, params[key]) for key in ("owner", "group", "mode", "backup") if params[key] is not None)
    try:
        directory_mode = files_utils._mode(params["directory_mode"], "directory_mode")
        # Options not given are None here: the defaults (owner, group, mode, backup) apply.
        given = [dict((key, value) for key, value in entry.items() if value is not None) for entry in params["files"]]
        entries = files_utils.normalize(given, defaults)
        result = files_utils.apply(entries, check_mode=module.check_mode, diff=module._diff,
                                   run_command=module.run_command, directory_mode=directory_mode)
    except files_utils.FilesError as exc:
        details = dict(exc.details)
        if exc.option:
            details["option"] = exc.option
        if exc.dest:
            details["file"] = exc.dest
        module.fail_json(msg=exc.msg, **details)
    except (OSError, IOError) as exc:
        module.fail_json(msg="cannot apply the files: %s" % to_native(exc), file=getattr(exc, "filename", None))
    for warning in result.pop("warnings", []):
        module.warn(warning)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="dict", required=True, options=dict(
                dest=dict(type="path", required=True),
                # src and vars are consumed by the action plugin on the controller.
                src=dict(type="path"),
                content=dict(type="str"),
                vars=dict(type="dict"),
                state=dict(type="str", choices=["present", "absent"], default="present"),
                owner=dict(type="str"),
                group=dict(type="str"),
                mode=dict(type="raw"),
                validate=dict(type="str"),
                backup=dict(type="bool"),
            )),
            owner=dict(type="str"),
            group=dict(type="str"),
            mode=dict(type="raw"),
            backup=dict(type="bool"),
            directory_mode=dict(type="raw", default="0755"),
        ),
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
