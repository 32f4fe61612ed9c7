# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes the collection's modules share."""

from __future__ import annotations


class ModuleDocFragment:
    # Every module of the collection runs on the managed host, never on the controller.
    DOCUMENTATION = r"""
options: {}
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on the managed host (Debian family tested).
"""

    # The read-only *_facts modules.
    FACTS = r"""
options: {}
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to diff.
notes:
  - Read-only - the module never changes the host, in check mode or not; register its result.
"""
