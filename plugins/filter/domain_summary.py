# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import libvirt_domain


def domain_summary(text):
    if not isinstance(text, str):
        raise AnsibleFilterError("domain_summary: expected a domain XML text, got %s" % type(text).__name__)
    try:
        return libvirt_domain.parse_domain_xml(text)
    except libvirt_domain.DomainXMLError as exc:
        raise AnsibleFilterError("domain_summary: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"domain_summary": domain_summary}
