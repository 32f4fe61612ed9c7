# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' conventions, checked on every role: one include pattern, prefixed tags and
handlers, and switches that work when they arrive as strings (`-e ssh_server_enabled=false`).

The switch test templates each area's `when:` with every `<role>_*_enabled` switch given
as the STRING "false" (what `-e` passes), then as "true": an uncast switch would be a
non-empty string, so truthy, and the area would run although it was switched off.
"""

from __future__ import annotations

import glob
import os
import re

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:  # ansible-core 2.19 templates only strings marked as trusted templates
    from ansible.template import trust_as_template
except ImportError:  # older cores template every string
    def trust_as_template(text):
        return text

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROLES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "roles", "*")))
QUOTED = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def _yaml(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _options(role):
    return _yaml("roles", role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]


def _main(role):
    return _yaml("roles", role, "tasks", "main.yml")


def test_there_are_roles():
    assert ROLES == ["console", "kvm_host", "memory_limits", "patching", "ssh"]


@pytest.mark.parametrize("role", ROLES)
def test_main_yml_includes_every_area_one_way(role):
    for task in _main(role):
        if "ansible.builtin.meta" in task:
            assert task["tags"] == ["always"], task["name"]
            continue
        include = task["ansible.builtin.include_tasks"]
        tags = task["tags"]
        assert include["apply"]["tags"] == tags, task["name"]
        assert tags == ["always"] or (tags[0] == role and all(t.startswith(role + "_") for t in tags[1:])), tags


@pytest.mark.parametrize("role", ROLES)
def test_every_tag_in_the_role_carries_its_prefix(role):
    for path in glob.glob(os.path.join(ROOT, "roles", role, "tasks", "*.yml")):
        for tags in re.findall(r"^\s*tags:\s*\[(.*)\]\s*$", open(path, encoding="utf-8").read(), re.M):
            for tag in (t.strip() for t in tags.split(",")):
                assert tag in ("always", role) or tag.startswith(role + "_"), (path, tag)


def test_handlers_carry_their_role_prefix_and_are_unique():
    seen = {}
    for role in ROLES:
        for handler in _yaml("roles", role, "handlers", "main.yml") or []:
            assert handler["name"].startswith(role + " | "), handler["name"]
            assert handler["name"] not in seen, "%s and %s" % (role, seen.get(handler["name"]))
            seen[handler["name"]] = role
            listen = handler.get("listen") or []
            for topic in [listen] if isinstance(listen, str) else listen:
                assert topic.startswith(role), topic


def _bools(role):
    return sorted((k for k, v in _options(role).items() if v.get("type") == "bool"), key=len, reverse=True)


def _expressions(text, yaml_file):
    """The Jinja expressions of a file: {{ }}, {% %} and, in YAML, the conditionals."""
    found = [m.group(1) for m in re.finditer(r"(?:\{\{|\{%)(.*?)(?:\}\}|%\})", text, re.S)]
    if yaml_file:
        for match in re.finditer(r"^(\s*)(?:- )?(?:when|changed_when|failed_when|until):[ \t]*(.*)\n((?:\1[ \t]+.*\n|[ \t]*\n)*)",
                                 text, re.M):
            found.append(match.group(2) + " " + match.group(3))
    return [QUOTED.sub("''", e) for e in found]


@pytest.mark.parametrize("role", ROLES)
def test_every_public_boolean_is_cast_where_it_decides(role):
    names = _bools(role)
    pattern = re.compile(r"\b(%s)\b(?!\s*\|\s*(bool|default)\b)" % "|".join(map(re.escape, names)))
    offenders = []
    for sub in ("tasks", "handlers", "vars", "templates"):
        for path in glob.glob(os.path.join(ROOT, "roles", role, sub, "*")):
            text = open(path, encoding="utf-8").read()
            for expression in _expressions(text, path.endswith(".yml")):
                offenders += ["%s: %s" % (os.path.relpath(path, ROOT), m.group(1)) for m in pattern.finditer(expression)]
    assert not offenders


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("given,expected", [("false", False), ("true", True), ("no", False), ("yes", True)])
def test_area_switches_given_as_strings_decide(role, given, expected):
    switches = [k for k in _options(role) if k.endswith("_enabled") or k == "patching_apply_now"]
    defaults = _yaml("roles", role, "defaults", "main.yml")
    variables = dict(defaults, **dict((name, given) for name in switches))
    templar = Templar(loader=DataLoader(), variables=variables)
    areas = [t for t in _main(role) if "when" in t]
    assert areas, "every role has areas behind switches"
    for task in areas:
        result = templar.template(trust_as_template("{{ %s }}" % task["when"]))
        assert result is expected, "%s: when %r with %s=%r gave %r" % (task["name"], task["when"], switches, given, result)


@pytest.mark.parametrize("role", ROLES)
def test_readme_has_a_become_play_and_names_the_written_policy(role):
    text = open(os.path.join(ROOT, "roles", role, "README.md"), encoding="utf-8").read()
    plays = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    assert any(isinstance(p, list) and p and p[0].get("become") is True and
               any((r.get("role") if isinstance(r, dict) else r) == "startsecure.hardening." + role for r in p[0].get("roles", []))
               for p in plays), "an example play with become: true that applies the role"
    policy = re.search(r"^## The written policy\n(.*?)(?=^## )", text, re.S | re.M)
    assert policy, "a 'The written policy' section"
    named = set(re.findall(r"`(%s_[a-z0-9_]+)`" % role, policy.group(1)))
    assert named and named <= set(_options(role)), named - set(_options(role))


def _ints(role):
    return sorted((k for k, v in _options(role).items() if v.get("type") == "int"), key=len, reverse=True)


@pytest.mark.parametrize("role", ROLES)
def test_every_public_integer_is_cast_where_it_is_compared(role):
    # `-e patching_guest_shutdown_timeout=45` arrives as the text "45": argument_specs
    # accepts it without converting it, and on ansible-core 2.19 `"45" >= 10` fails the
    # play ("'>=' not supported between instances of str and int").
    names = _ints(role)
    if not names:
        pytest.skip("no integer options")
    alternatives = "|".join(map(re.escape, names))
    left = re.compile(r"\b(%s)\b(?!\s*\|\s*int\b)\s*(>=|<=|<|>|==|!=)\s*[-0-9(a-z_]" % alternatives)
    right = re.compile(r"(>=|<=|<|>)\s*\b(%s)\b(?!\s*\|\s*int\b)" % alternatives)
    offenders = []
    for sub in ("tasks", "handlers", "templates"):
        for path in glob.glob(os.path.join(ROOT, "roles", role, sub, "*")):
            for number, line in enumerate(open(path, encoding="utf-8"), 1):
                code = line.split("#", 1)[0] if path.endswith(".yml") else line
                if re.match(r"\s*(- )?name:", code):
                    continue  # a task's title is prose
                for match in list(left.finditer(code)) + list(right.finditer(code)):
                    offenders.append("%s:%d: %s" % (os.path.relpath(path, ROOT), number, match.group(0)))
    assert not offenders
