# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a generated grub.cfg: its menu entries and which of them boot unattended.

Once ``set superusers=`` is in grub.cfg, GRUB asks for a password before booting any
entry that does not carry ``--unrestricted`` (``--users`` names who may, with a password). A host
that boots the default entry (or a fallback) without someone at the console would
then stop at a password prompt. This module finds those entries in the text that
grub-mkconfig generated, not in the scripts that produce it.
"""

from __future__ import annotations

import re
import shlex

_OPEN = re.compile(r"^\s*(?P<kind>menuentry|submenu)\s+(?P<args>.*?)\s*\{\s*$")
_SET = re.compile(r"""^\s*set\s+(?P<name>default|fallback|superusers)=(?P<value>"[^"]*"|'[^']*'|\S*)\s*$""")


def _words(args):
    try:
        return shlex.split(args, posix=True)
    except ValueError:
        return args.split()


def parse_grub_cfg(text):
    """{"superusers": bool, "default": [...], "fallback": [...], "entries": [...]}.

    Each entry: {"kind": "menuentry"|"submenu", "title", "id", "unrestricted",
    "users" (None when no --users), "children": [...]} in the order of the file;
    "entries" holds the top level. "default"/"fallback" list every value set in
    the file (grub.cfg sets default in both branches of an ``if``).
    """
    result = {"superusers": False, "default": [], "fallback": [], "entries": []}
    stack = []  # one item per open brace: an entry dict, or None for other blocks
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        found = _OPEN.match(line)
        if found:
            words = _words(found.group("args"))
            entry = {"kind": found.group("kind"), "title": words[0] if words else "", "id": "",
                     "unrestricted": "--unrestricted" in words, "users": None, "children": []}
            for index, word in enumerate(words):
                if word == "--users" and index + 1 < len(words):
                    entry["users"] = words[index + 1]
                elif word.startswith("--users="):
                    entry["users"] = word.split("=", 1)[1]
                elif word == "--id" and index + 1 < len(words):
                    entry["id"] = words[index + 1]
            # grub-mkconfig writes `$menuentry_id_option 'gnulinux-simple-<uuid>'`
            marker = [i for i, w in enumerate(words) if "menuentry_id_option" in w]
            if marker and marker[0] + 1 < len(words):
                entry["id"] = words[marker[0] + 1]
            parent = next((item for item in reversed(stack) if item is not None), None)
            (parent["children"] if parent else result["entries"]).append(entry)
            stack.append(entry)
            continue
        if stripped == "}":
            if stack:
                stack.pop()
            continue
        if stripped.endswith("{"):
            stack.append(None)  # function, if-block with braces: not an entry
            continue
        setting = _SET.match(line)
        if setting:
            value = setting.group("value").strip("\"'")
            if setting.group("name") == "superusers":
                result["superusers"] = True
            else:
                result[setting.group("name")].append(value)
    return result


def _resolve(entries, reference):
    """The chain of entries (outermost first) a GRUB default value names, or []."""
    parts = reference.split(">")
    chain = []
    level = entries
    for part in parts:
        if not level:
            return []
        if part.isdigit():
            index = int(part)
            if index >= len(level):
                return []
            chosen = level[index]
        else:
            chosen = _find(level, part) if len(parts) > 1 else None
            if chosen is None and len(parts) == 1:
                found = _find_anywhere(entries, part)
                return found or []
            if chosen is None:
                return []
        chain.append(chosen)
        level = chosen["children"]
    # a submenu as default boots its first entry
    while chain and chain[-1]["kind"] == "submenu" and chain[-1]["children"]:
        chain.append(chain[-1]["children"][0])
    return chain


def _find(level, name):
    return next((e for e in level if name in (e["title"], e["id"])), None)


def _find_anywhere(entries, name, parents=()):
    for entry in entries:
        if name in (entry["title"], entry["id"]):
            return list(parents) + [entry]
        found = _find_anywhere(entry["children"], name, tuple(parents) + (entry,))
        if found:
            return found
    return None


def _booting_value(value, saved_entry):
    """A default/fallback value as GRUB will read it at boot (variables expanded)."""
    if value in ("${saved_entry}", "$saved_entry"):
        return saved_entry or "0"
    if value.startswith("$"):  # ${next_entry}: a one-time choice made by grub-reboot
        return None
    return value or "0"


def unattended_problems(text, saved_entry=""):
    """Sentences naming each entry GRUB boots unattended that would ask for a password.

    ``saved_entry`` is the value in grubenv, for ``GRUB_DEFAULT=saved``. Without
    superusers GRUB asks nobody, so there is no problem; a default that names no
    entry is reported, since it cannot be proven bootable.
    """
    cfg = parse_grub_cfg(text)
    problems = []
    if not cfg["superusers"]:
        return problems
    if not cfg["entries"]:
        return ["grub.cfg sets superusers but has no menu entry at all"]
    references = []
    for kind in ("default", "fallback"):
        values = cfg[kind] or (["0"] if kind == "default" else [])
        for value in values:
            booting = _booting_value(value, saved_entry)
            if booting is not None:
                # fallback may list several entries; default is one (a title may hold spaces)
                refs = booting.split() if kind == "fallback" else [booting]
                references.extend("%s %s" % (kind, ref) for ref in refs)
    seen = set()
    for reference in references:
        if reference in seen:
            continue
        seen.add(reference)
        kind, value = reference.split(" ", 1)
        chain = _resolve(cfg["entries"], value)
        if not chain:
            problems.append("the %s entry '%s' names no menu entry in grub.cfg, so it cannot be "
                            "shown to boot without the password" % (kind, value))
            continue
        for entry in chain:
            # --users still asks those users (or a superuser) for a password: only
            # --unrestricted boots with nobody at the console
            if not entry["unrestricted"]:
                problems.append("the %s entry '%s' (%s '%s') has no --unrestricted: GRUB would "
                                "stop at a password prompt on an unattended boot" % (
                                    kind, value, entry["kind"], entry["title"]))
    return problems
