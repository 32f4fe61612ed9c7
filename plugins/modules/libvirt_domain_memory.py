#!/usr/bin/python
# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

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
