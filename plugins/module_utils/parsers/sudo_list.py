# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read `sudo -l -U USER` (run as root, LC_ALL=C): may USER run every command as root,
and does that need USER's password?

sudo applies the LAST matching rule, and lists the rules in sudoers order, so the last
rule that allows ALL as root decides whether a password is asked. That is exactly how
an early NOPASSWD drop-in is silently overridden by a later `%sudo ALL=(ALL:ALL) ALL`.
"""

from __future__ import annotations

import re

_RULE = re.compile(r"^\s+\((?P<runas>[^)]*)\)\s*(?P<rest>.*)$")
_TAG = re.compile(r"^(?P<tag>[A-Z_]+):\s*")


def sudo_root_access(text):
    """{"allowed": may run ALL as root, "nopasswd": without a password, "rules": the rule lines}."""
    rules, in_rules = [], False
    for line in (text or "").splitlines():
        if re.match(r"^User \S+ may run the following commands", line):
            in_rules = True
            continue
        if in_rules and line.strip():
            if _RULE.match(line):
                rules.append(line.strip())
            elif not line.startswith((" ", "\t")):
                in_rules = False
    allowed, nopasswd = False, False
    for rule in rules:
        match = _RULE.match(" " + rule)
        users = match.group("runas").split(":", 1)[0].replace(" ", "").split(",")
        if not any(u in ("ALL", "root", "#0") for u in users):
            continue
        rest, tags = match.group("rest"), set()
        while True:
            tag = _TAG.match(rest)
            if not tag:
                break
            tags.add(tag.group("tag"))
            rest = rest[tag.end():]
        if "ALL" not in [c.strip() for c in rest.split(",")]:
            continue
        # The last rule for ALL as root wins (tags default to PASSWD).
        allowed, nopasswd = True, "NOPASSWD" in tags
    return {"allowed": allowed, "nopasswd": nopasswd, "rules": rules}
