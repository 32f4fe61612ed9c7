# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import libvirt_conf as lc


def libvirt_conf(text, defaults=None):
    if not isinstance(text, str):
        raise AnsibleFilterError("libvirt_conf: expected the text of a libvirt configuration file, got %s"
                                 % type(text).__name__)
    if defaults is not None and defaults not in lc.DEFAULTS:
        raise AnsibleFilterError("libvirt_conf: defaults must be one of %s, got %r" % (", ".join(sorted(lc.DEFAULTS)), defaults))
    try:
        values = lc.parse(text)
    except lc.ConfError as exc:
        raise AnsibleFilterError("libvirt_conf: %s" % exc)
    return lc.effective(values, defaults) if defaults else values


class FilterModule(object):
    def filters(self):
        return {"libvirt_conf": libvirt_conf}
