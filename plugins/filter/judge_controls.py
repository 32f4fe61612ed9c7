# -*- coding: utf-8 -*-
# Copyright: (c) 2026, startsecure.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: judge_controls
short_description: Judge gathered facts against the collection's controls catalog
version_added: 0.1.0
author: startsecure.hardening contributors
description:
  - Evaluates the controls of the catalog (for example the C(kvm_host) controls
    C(KVM-001)...) on facts gathered by the collection's fact modules and returns one
    finding per control, sorted by id.
  - The input is a dict holding the facts under their source name, for example the
    registered result of P(startsecure.hardening.hypervisor_facts#module) (it has a
    C(hypervisor) key), or a dict with the keys C(hypervisor), C(ssh)... The bare facts of one
    source are accepted with O(source).
  - A control whose facts were not gathered is skipped unless it was asked for by
    O(ids) (then it is an C(error) finding, never a silent pass).
options:
  _input:
    description: The facts, keyed by source (C(hypervisor), ...), or one source's facts with O(source).
    type: dict
    required: true
  source:
    description: Name of the source when the input is that source's facts themselves (e.g. V(hypervisor)).
    type: string
  areas:
    description: Only controls of these areas (e.g. V(kvm_host)).
    type: list
    elements: string
  ids:
    description: Only these control ids; an unknown id is an error.
    type: list
    elements: string
  min_severity:
    description: Only controls of this severity or higher.
    type: string
    choices: [info, low, medium, high, critical]
"""

EXAMPLES = r"""
- name: Gather and judge a KVM host
  startsecure.hardening.hypervisor_facts:
  register: kvm

- name: Fail on high and critical findings
  ansible.builtin.assert:
    that: failing | length == 0
    fail_msg: "{{ failing | map(attribute='id') | join(', ') }}"
  vars:
    failing: >-
      {{ kvm | startsecure.hardening.judge_controls(min_severity='high')
         | selectattr('status', 'in', ['fail', 'error']) | list }}

- name: Judge bare facts for two controls
  ansible.builtin.debug:
    msg: "{{ kvm.hypervisor | startsecure.hardening.judge_controls(source='hypervisor', ids=['KVM-014', 'KVM-017']) }}"
"""

RETURN = r"""
_value:
  description:
    - One finding per control - id, title, area, severity, status (V(pass), V(fail),
      V(not_applicable), V(error)), evidence, rationale, references, remediation
      (role, variable, note), needs_restart, tags.
  type: list
  elements: dictionary
"""

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
