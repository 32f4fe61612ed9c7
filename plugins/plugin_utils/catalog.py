# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The full controls catalog: every area's CONTROLS, imported by name.

No discovery at run time: the catalog is exactly the areas listed here. Add an area
by writing ``controls/<area>.py`` and naming it in ``AREAS``.
"""

from __future__ import annotations

from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import base as controls
from ansible_collections.startsecure.hardening.plugins.plugin_utils.controls import console, kvm, memory, patching, ssh

AREAS = {area.AREA: area.CONTROLS for area in (kvm, console, memory, patching, ssh)}

CONTROLS = []
for _area in sorted(AREAS):
    CONTROLS.extend(AREAS[_area])

# Refuse duplicate ids at import time: ids are stable forever and unique across areas.
BY_ID = controls.index(CONTROLS)
