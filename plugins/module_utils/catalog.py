# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The full controls catalog: every area's CONTROLS, imported statically.

Ansible bundles module_utils into a module by following static imports, so each
area is imported here by name (no discovery at run time). Add an area by importing
its ``controls_<area>`` module and appending its CONTROLS to ``CONTROLS``.
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.module_utils import controls
from ansible_collections.startsecure.hardening.plugins.module_utils import controls_kvm
from ansible_collections.startsecure.hardening.plugins.module_utils import controls_console
from ansible_collections.startsecure.hardening.plugins.module_utils import controls_memory
from ansible_collections.startsecure.hardening.plugins.module_utils import controls_patching
from ansible_collections.startsecure.hardening.plugins.module_utils import controls_ssh

AREAS = {
    controls_kvm.AREA: controls_kvm.CONTROLS,
    controls_console.AREA: controls_console.CONTROLS,
    controls_memory.AREA: controls_memory.CONTROLS,
    controls_patching.AREA: controls_patching.CONTROLS,
    controls_ssh.AREA: controls_ssh.CONTROLS,
}

CONTROLS = []
for _area in sorted(AREAS):
    CONTROLS.extend(AREAS[_area])

# Refuse duplicate ids at import time: ids are stable forever and unique across areas.
BY_ID = controls.index(CONTROLS)
