# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of startsecure.hardening.files: render every template of the call on the controller,
then apply all files in ONE module call on the host (one round trip per area)."""

from __future__ import annotations

import os

from ansible import constants as C
from ansible.errors import AnsibleError, AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

try:  # ansible-core 2.19+: only trusted text is rendered as a template
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - ansible-core 2.17 and 2.18
    trust_as_template = None

MODULE = "startsecure.hardening.files"


def render(templar, text, variables, searchpath):
    """Render a template's text with the given variables (trailing newlines kept, as template does)."""
    child = templar.copy_with_new_env(searchpath=searchpath, available_variables=variables)
    if trust_as_template is not None:
        result = child.template(trust_as_template(text), escape_backslashes=False)
    else:  # pragma: no cover - older cores
        result = child.do_template(text, preserve_trailing_newlines=True, escape_backslashes=False)
    return "" if result is None else to_text(result)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("files", "owner", "group", "mode", "backup", "directory_mode"))

    def _read(self, source):
        if hasattr(self._loader, "get_text_file_contents"):  # ansible-core 2.19+
            return self._loader.get_text_file_contents(source)
        real = self._loader.get_real_file(source)  # pragma: no cover - older cores
        try:
            with open(real, "rb") as handle:
                return to_text(handle.read(), errors="surrogate_or_strict")
        finally:
            self._loader.cleanup_tmp_file(real)

    def _entry(self, index, entry, task_vars):
        where = "files[%d]" % index
        if not isinstance(entry, dict):
            raise AnsibleActionFail("%s must be a dict with dest and src or content, got %s"
                                    % (where, type(entry).__name__))
        entry = dict(entry)
        extra = entry.pop("vars", None) or {}
        if not isinstance(extra, dict):
            raise AnsibleActionFail("%s.vars must be a dict, got %s" % (where, type(extra).__name__))
        src = entry.pop("src", None)
        if src is None:
            if extra:
                raise AnsibleActionFail("%s.vars is only used with src (a template)" % where)
            return entry
        if "content" in entry:
            raise AnsibleActionFail("%s: src and content are mutually exclusive (dest %s)" % (where, entry.get("dest")))
        if entry.get("state", "present") != "present":
            raise AnsibleActionFail("%s: src cannot be given with state=%s" % (where, entry.get("state")))
        try:
            source = self._find_needle("templates", src)
        except AnsibleError as exc:
            raise AnsibleActionFail("%s.src: %s" % (where, to_text(exc)))
        searchpath = []
        for path in list(task_vars.get("ansible_search_path", [])) + [self._loader.get_basedir(), os.path.dirname(source)]:
            searchpath.extend([os.path.join(path, "templates"), path])
        variables = dict(task_vars)
        variables.setdefault("ansible_managed", C.config.get_config_value("DEFAULT_MANAGED_STR"))
        variables.update(template_path=src, template_fullpath=source, template_destpath=entry.get("dest"),
                         template_host=os.uname()[1])
        variables.update(extra)
        try:
            entry["content"] = render(self._templar, self._read(source), variables, searchpath)
        except AnsibleError as exc:
            raise AnsibleActionFail("%s.src %s (dest %s): %s" % (where, src, entry.get("dest"), to_text(exc)))
        return entry

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        files = args.get("files")
        if not isinstance(files, list):
            raise AnsibleActionFail("files must be a list of entries (dest plus src, content or state=absent), got %s"
                                    % type(files).__name__)
        args["files"] = [self._entry(index, entry, task_vars) for index, entry in enumerate(files)]
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        return result
