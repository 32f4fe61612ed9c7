#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: libvirt_domain_memory
short_description: Give libvirt domains a memory hard limit (memtune), live and in their definition
version_added: "0.1.0"
description:
  - Sets the memtune C(hard_limit) (and optionally C(soft_limit)) of libvirt domains, so a
    leaking or hostile guest - or its QEMU - is stopped in its own cgroup before it takes the
    host's memory.
  - Without O(hard_limit), each domain gets its maximum memory plus O(overhead) (QEMU's own use).
  - Applies to running domains live (O(live)) and to the persistent definition (O(config))
    independently, so a limit reaches a running guest even where a definition with a hard
    limit could not start (a host that refuses to raise the locked-memory rlimit).
  - Refuses, before changing anything, a hard limit below what a domain already uses (its
    current memory, or the resident memory of its running QEMU process) - that limit would
    get the guest killed at once.
  - Returns, per domain, the limit before and after and the limit the cgroup of the running
    QEMU really carries (cgroup v1 C(memory.limit_in_bytes) or v2 C(memory.max) of its
    machine.slice scope).
requirements:
  - python3-libvirt on the managed host (Debian/Ubuntu C(python3-libvirt), RHEL C(python3-libvirt)).
author:
  - startsecure engineers (!UNKNOWN)
options:
  uri:
    description: The libvirt connection URI.
    type: str
    default: qemu:///system
  names:
    description: Domains to limit; empty means every domain. A name that does not exist is an error.
    type: list
    elements: str
    default: []
  exclude:
    description: Domains to leave alone.
    type: list
    elements: str
    default: []
  hard_limit:
    description:
      - The hard limit for every selected domain. A size with a unit (V(512M), V(2G), V(1.5GiB);
        K/M/G and KiB/MiB/GiB are powers of 1024, kB/MB/GB powers of 1000) or a bare number,
        which is read in KiB, libvirt's own unit (as C(virsh memtune) does).
      - Omitted - each domain's maximum memory plus O(overhead).
    type: raw
  soft_limit:
    description: The soft limit (same units as O(hard_limit)); omitted - left as it is.
    type: raw
  overhead:
    description: Added to a domain's maximum memory when O(hard_limit) is omitted (QEMU itself, about 185 MiB under TCG).
    type: raw
    default: 256M
  live:
    description: Apply to running domains now.
    type: bool
    default: true
  config:
    description: Store the limits in the persistent definitions (they apply from the next start).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reports what would change (with the same refusals) without changing anything.
  diff_mode:
    support: none
    description: The per-domain before/after is in RV(domains).
notes:
  - On hosts that forbid raising a hard rlimit (some containers), a domain DEFINED with a
    hard limit cannot start, because libvirt raises QEMU's locked-memory rlimit to it. Use
    O(config=false) there and apply the limit live after each start.
"""

EXAMPLES = r"""
- name: Every guest gets its memory plus 256 MiB as hard limit, now and on its next start
  startsecure.hardening.libvirt_domain_memory:
    overhead: 256M

- name: A fixed limit for two guests, live only
  startsecure.hardening.libvirt_domain_memory:
    names: [web1, web2]
    hard_limit: 2G
    soft_limit: 1536M
    config: false
"""

RETURN = r"""
changed:
  description: Whether a limit was (or in check mode would be) changed.
  type: bool
  returned: always
domains:
  description: One entry per selected domain.
  type: list
  elements: dict
  returned: always
  contains:
    name:
      description: Domain name.
      type: str
    state:
      description: Domain state (running, shut off, ...).
      type: str
    memory_kib:
      description: The domain's maximum memory in KiB.
      type: int
    hard_limit_kib_before:
      description: The hard limit before (live for a running domain, else the definition's); null = unlimited.
      type: int
    hard_limit_kib:
      description: The hard limit wanted (and set).
      type: int
    soft_limit_kib:
      description: The soft limit wanted; null when not managed.
      type: int
    cgroup_limit_bytes:
      description: The memory limit the running QEMU's cgroup carries after the change (null when not running or unlimited).
      type: int
    rss_kib:
      description: Resident memory of the running QEMU process.
      type: int
    applied_live:
      description: Whether the limit was (or would be) changed on the running domain.
      type: bool
    applied_config:
      description: Whether the limit was (or would be) changed in the persistent definition.
      type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.startsecure.hardening.plugins.module_utils.gather import hypervisor
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers import sizes

libvirt = hypervisor.load_libvirt()  # python3-libvirt, or None

UNLIMITED_KIB = 9007199254740991
RUNNING_STATES = (1, 2, 3, 7)  # running, blocked, paused, pmsuspended
STATE_NAMES = {0: "nostate", 1: "running", 2: "blocked", 3: "paused", 4: "in shutdown", 5: "shut off",
               6: "crashed", 7: "pmsuspended"}


def to_kib(value, name):
    """A size option in KiB: a bare number is KiB (libvirt's unit), a unit is honoured."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    return sizes.parse_size(text, name=name) // 1024


def _limit(params, key):
    value = params.get(key)
    if value is None or value >= UNLIMITED_KIB:
        return None
    return value


def domain_plan(dom, hard_kib, soft_kib, overhead_kib, system):
    """What a domain has and what it should get (no change made)."""
    state = dom.state()[0]
    running = state in RUNNING_STATES
    persistent = bool(dom.isPersistent())
    info = dom.info()  # state, maxMem KiB, memory KiB, vcpus, cputime
    memory_kib = info[1]
    current_kib = info[2]
    live = dom.memoryParameters(libvirt.VIR_DOMAIN_AFFECT_LIVE) if running else {}
    config = dom.memoryParameters(libvirt.VIR_DOMAIN_AFFECT_CONFIG) if persistent else {}
    pid = None
    rss = None
    if running:
        text = system.read("/run/libvirt/qemu/%s.pid" % dom.name())
        pid = int(text.strip()) if text and text.strip().isdigit() else None
        rss = hypervisor.process_rss_kib(system, pid) if pid else None
    target = hard_kib if hard_kib is not None else memory_kib + overhead_kib
    return {
        "dom": dom, "name": dom.name(), "state": STATE_NAMES.get(state, "unknown"), "running": running,
        "persistent": persistent, "memory_kib": memory_kib, "current_memory_kib": current_kib,
        "live": live, "config": config, "pid": pid, "rss_kib": rss, "hard_limit_kib": target,
        "soft_limit_kib": soft_kib,
    }


def needs(params, hard, soft):
    if _limit(params, "hard_limit") != hard:
        return True
    return soft is not None and _limit(params, "soft_limit") != soft


def cgroup_limit(system, pid):
    if not pid:
        return None
    paths = hypervisor.cgroup_paths(system, pid)
    path = paths.get("memory") or paths.get("unified")
    if not path:
        return None
    return hypervisor.memory_limit(system, path, stop_at="machine.slice")[0]


def run_module(module, system):
    params = module.params
    try:
        hard_kib = to_kib(params["hard_limit"], "hard_limit")
        soft_kib = to_kib(params["soft_limit"], "soft_limit")
        overhead_kib = to_kib(params["overhead"], "overhead") or 0
    except sizes.SizeError as exc:
        module.fail_json(msg=str(exc))
    if hard_kib is not None and soft_kib is not None and soft_kib > hard_kib:
        module.fail_json(msg="soft_limit (%d KiB) is above hard_limit (%d KiB)" % (soft_kib, hard_kib))
    if libvirt is None:
        module.fail_json(msg="python3-libvirt is not installed on the managed host (install the python3-libvirt package)")
    try:
        conn = libvirt.open(params["uri"])
    except libvirt.libvirtError as exc:
        module.fail_json(msg="cannot connect to %s (is libvirtd/virtqemud running and reachable?): %s" % (params["uri"], exc))
    try:
        all_domains = dict((dom.name(), dom) for dom in conn.listAllDomains(0))
        missing = [n for n in params["names"] if n not in all_domains]
        if missing:
            module.fail_json(msg="no such domain(s): %s" % ", ".join(missing), known=sorted(all_domains))
        chosen = [n for n in (params["names"] or sorted(all_domains)) if n not in params["exclude"]]
        plans = [domain_plan(all_domains[n], hard_kib, soft_kib, overhead_kib, system) for n in chosen]

        # refuse before changing anything
        for plan in plans:
            floor = [("its current memory", plan["current_memory_kib"])]
            if plan["rss_kib"]:
                floor.append(("the resident memory of its QEMU (pid %s)" % plan["pid"], plan["rss_kib"]))
            for what, used in floor:
                if used and plan["hard_limit_kib"] < used:
                    module.fail_json(msg="refusing hard_limit %d KiB for domain %s: below %s, %d KiB - the guest "
                                         "would be killed at once" % (plan["hard_limit_kib"], plan["name"], what, used),
                                     domain=plan["name"], hard_limit_kib=plan["hard_limit_kib"], used_kib=used)
            if plan["soft_limit_kib"] is not None and plan["soft_limit_kib"] > plan["hard_limit_kib"]:
                module.fail_json(msg="soft_limit %d KiB above hard_limit %d KiB for domain %s" % (
                    plan["soft_limit_kib"], plan["hard_limit_kib"], plan["name"]), domain=plan["name"])

        results = []
        changed = False
        for plan in plans:
            hard, soft = plan["hard_limit_kib"], plan["soft_limit_kib"]
            wanted = {"hard_limit": hard}
            if soft is not None:
                wanted["soft_limit"] = soft
            apply_live = params["live"] and plan["running"] and needs(plan["live"], hard, soft)
            apply_config = params["config"] and plan["persistent"] and needs(plan["config"], hard, soft)
            dom = plan["dom"]
            if not module.check_mode:
                try:
                    if apply_live:
                        dom.setMemoryParameters(wanted, libvirt.VIR_DOMAIN_AFFECT_LIVE)
                    if apply_config:
                        dom.setMemoryParameters(wanted, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
                except libvirt.libvirtError as exc:
                    module.fail_json(msg="cannot set the memory limits of domain %s: %s" % (plan["name"], exc),
                                     domain=plan["name"], domains=results)
            changed = changed or apply_live or apply_config
            before = _limit(plan["live"], "hard_limit") if plan["running"] else _limit(plan["config"], "hard_limit")
            results.append({
                "name": plan["name"], "state": plan["state"], "memory_kib": plan["memory_kib"],
                "hard_limit_kib_before": before, "hard_limit_kib": hard, "soft_limit_kib": soft,
                "rss_kib": plan["rss_kib"],
                "cgroup_limit_bytes": cgroup_limit(system, plan["pid"]) if plan["running"] else None,
                "applied_live": bool(apply_live), "applied_config": bool(apply_config),
            })
    finally:
        try:
            conn.close()
        except Exception:
            pass
    module.exit_json(changed=changed, domains=results)


def host_system():
    return hypervisor.System("/")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            uri=dict(type="str", default="qemu:///system"),
            names=dict(type="list", elements="str", default=[]),
            exclude=dict(type="list", elements="str", default=[]),
            hard_limit=dict(type="raw"),
            soft_limit=dict(type="raw"),
            overhead=dict(type="raw", default="256M"),
            live=dict(type="bool", default=True),
            config=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    run_module(module, host_system())


if __name__ == "__main__":
    main()
