# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.plugin_utils import catalog
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import base as controls


def judge_controls(facts, source=None, areas=None, ids=None, min_severity=None):
    if not isinstance(facts, dict):
        raise AnsibleFilterError("judge_controls: expected a dict of facts, got %s" % type(facts).__name__)
    if source:
        facts = {source: facts}
    try:
        chosen = controls.select(catalog.CONTROLS, areas=areas, ids=ids, min_severity=min_severity)
    except controls.ControlError as exc:
        raise AnsibleFilterError("judge_controls: %s" % exc)
    if not ids:
        chosen = [c for c in chosen if c.source in facts]
        if not chosen:
            raise AnsibleFilterError("judge_controls: no control matches facts with keys %s (expected e.g. 'hypervisor'; "
                                     "pass source= for bare facts)" % (", ".join(sorted(facts)) or "none"))
    return [control.evaluate(facts) for control in sorted(chosen, key=lambda c: c.id)]


class FilterModule(object):
    def filters(self):
        return {"judge_controls": judge_controls}
