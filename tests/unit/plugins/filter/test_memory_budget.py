# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""memory_budget: the limits must leave the host reserve free; every error names its variable."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.startsecure.hardening.plugins.filter.memory_budget import FilterModule, memory_budget
from ansible_collections.startsecure.hardening.plugins.plugin_utils.enforce.memory_budget import (
    DROPIN_NAME, PROTECT_DROPIN_NAME, BudgetError, budget_problems, plan_memory_limits)
from ansible_collections.startsecure.hardening.plugins.module_utils.parsers.sizes import format_size

MIB, GIB = 1024 ** 2, 1024 ** 3
RAM = 8 * GIB


def good(**over):
    config = {
        "reserve": "1G",
        "slices": {"machine.slice": {"memory_max": "5G", "memory_high": "4.5G", "memory_swap_max": 0},
                   "user.slice": {"memory_max": "2G", "tasks_max": 4096}},
        "services": {"nginx": {"memory_max": "512M", "tasks_max": "10%"}},
        "user": {"memory_max": "1G", "tasks_max": 512},
        "protected_services": ["systemd-journald"],
        "os_protected_services": ["ssh.service"],
    }
    config.update(over)
    return config


def refused(config, version="v2", total=RAM):
    with pytest.raises(AnsibleFilterError) as exc:
        memory_budget(config, total, version)
    return str(exc.value)


def by_unit(plan, area=None):
    return {d["unit"]: d for d in plan["dropins"] if area is None or d["area"] == area}


def test_registered():
    assert FilterModule().filters()["memory_budget"] is memory_budget


def test_v2_plan_writes_every_setting():
    plan = memory_budget(good(), RAM, "v2")
    units = by_unit(plan)
    assert plan["reserve"] == GIB and plan["total"] == RAM and plan["not_applied"] == []
    assert units["machine.slice"]["settings"] == {
        "MemoryAccounting": "yes", "MemoryHigh": "4608M", "MemoryMax": "5G", "MemorySwapMax": "0"}
    assert units["user.slice"]["settings"]["TasksMax"] == 4096
    # a capped unit without its own swap limit gets MemorySwapMax=0 on v2, and says so
    assert units["user-.slice"]["settings"] == {"MemoryAccounting": "yes", "MemoryMax": "1G", "MemorySwapMax": "0",
                                                "TasksMax": 512}
    assert any("MemorySwapMax=0" in line for line in units["user-.slice"]["not_applied"])
    assert units["user-.slice"]["path"] == "/etc/systemd/system/user-.slice.d/" + DROPIN_NAME
    assert units["nginx.service"]["section"] == "Service"
    assert units["nginx.service"]["settings"]["TasksMax"] == "10%"
    # the reserve protects system.slice and the protected services on v2
    assert units["system.slice"]["settings"]["MemoryLow"] == "1G"
    assert units["ssh.service"]["settings"] == {"OOMScoreAdjust": -500, "MemoryLow": "1G"}
    assert units["ssh.service"]["path"] == "/etc/systemd/system/ssh.service.d/" + PROTECT_DROPIN_NAME
    # OOMScoreAdjust is an exec setting: systemctl set-property cannot give it to a running unit
    assert units["ssh.service"]["runtime"] == {"MemoryLow": "1G"}
    assert {d["area"] for d in plan["dropins"]} == {"slices", "users", "services", "protect"}
    assert units["system.slice"]["area"] == units["ssh.service"]["area"] == "protect"
    assert units["machine.slice"]["kind"] == "slice" and units["nginx.service"]["kind"] == "service"
    assert units["systemd-journald.service"]["kind"] == "service"
    assert plan["must_exist"] == [{"unit": "nginx.service", "variable": "memory_limits_services['nginx']"}]
    assert plan["protected_services"] == ["ssh.service", "systemd-journald.service"]
    assert units["ssh.service"]["variable"] == "memory_limits_protect_os_services"
    assert units["systemd-journald.service"]["variable"] == "memory_limits_protected_services[0]"


def test_v1_leaves_out_what_v1_cannot_do_and_says_why():
    plan = memory_budget(good(), RAM, "v1")
    units = by_unit(plan)
    assert units["machine.slice"]["settings"] == {"MemoryAccounting": "yes", "MemoryMax": "5G"}
    assert units["machine.slice"]["runtime"] == {"MemoryMax": "5G"}
    assert "system.slice" not in units
    assert units["ssh.service"]["settings"] == {"OOMScoreAdjust": -500}
    assert "MemoryLow=1G not applied" in units["ssh.service"]["not_applied"][0]
    assert units["machine.slice"]["not_applied"][0].startswith("MemoryHigh=4608M not applied")
    text = "\n".join(plan["not_applied"])
    assert "machine.slice: MemoryHigh=4608M not applied" in text
    assert "machine.slice: MemorySwapMax=0 not applied" in text
    assert "system.slice: MemoryLow=1G" in text
    assert "cgroup v1" in text
    # TasksMax works on v1 through the pids controller
    assert units["user-.slice"]["settings"]["TasksMax"] == 512


def test_percentages_are_of_the_host_memory():
    plan = memory_budget(good(reserve="10%", slices={"machine.slice": {"memory_max": "50%"}}), 10 * GIB, "v2")
    assert plan["reserve"] == GIB
    assert by_unit(plan)["machine.slice"]["settings"]["MemoryMax"] == "5G"


def test_a_protected_service_with_its_own_limits_gets_two_dropins():
    config = good(services={"libvirtd": {"memory_max": "1G"}}, protected_services=["libvirtd", "libvirtd.service"])
    plan = memory_budget(config, RAM, "v1")
    assert by_unit(plan, "services")["libvirtd.service"]["settings"] == {"MemoryAccounting": "yes", "MemoryMax": "1G"}
    assert by_unit(plan, "protect")["libvirtd.service"]["settings"] == {"OOMScoreAdjust": -500}
    assert len([d for d in plan["dropins"] if d["unit"] == "libvirtd.service"]) == 2
    assert plan["protected_services"] == ["ssh.service", "libvirtd.service"]


def test_allow_missing_skips_the_existence_check():
    config = good(services={"app": {"memory_max": "64M", "allow_missing": True}})
    assert memory_budget(config, RAM, "v2")["must_exist"] == []


def test_overcommit_can_be_allowed():
    config = good(slices={"machine.slice": {"memory_max": "6G"}, "user.slice": {"memory_max": "6G"}})
    assert "together" in refused(config)
    memory_budget(dict(config, allow_overcommit=True), RAM, "v2")


def test_child_slices_do_not_count_twice():
    config = good(slices={"workload.slice": {"memory_max": "4G"}, "workload-db.slice": {"memory_max": "3G"},
                          "machine.slice": {"memory_max": "3G"}})
    memory_budget(config, RAM, "v2")


@pytest.mark.parametrize("over,variable,words", [
    ({"reserve": "8G"}, "memory_limits_reserve", "not smaller than the host's memory"),
    ({"reserve": "9G"}, "memory_limits_reserve", "not smaller than the host's memory"),
    ({"slices": {"machine.slice": {"memory_max": "7.5G"}}},
     "memory_limits_slices['machine.slice'].memory_max", "plus the host reserve"),
    ({"slices": {"machine.slice": {"memory_high": "95%"}}},
     "memory_limits_slices['machine.slice'].memory_high", "plus the host reserve"),
    ({"reserve": "12X"}, "memory_limits_reserve", "unknown size unit"),
    ({"slices": {"user.slice": {"memory_max": "2 parsecs"}}},
     "memory_limits_slices['user.slice'].memory_max", "unknown size unit"),
    ({"reserve": "-1G"}, "memory_limits_reserve", "negative"),
    ({"services": {"app": {"memory_max": -5}}}, "memory_limits_services['app'].memory_max", "negative"),
    ({"reserve": 0}, "memory_limits_reserve", "greater than zero"),
    ({"user": {"memory_max": "0M"}}, "memory_limits_per_user.memory_max", "greater than zero"),
    ({"user": {"memory_max": "7.5G"}}, "memory_limits_per_user.memory_max", "plus the host reserve"),
    ({"services": {"app": {"memory_max": "7.5G"}}}, "memory_limits_services['app'].memory_max", "plus the host reserve"),
    ({"slices": {"machine.slice": {"memory_max": "1G", "memory_high": "2G"}}},
     "memory_limits_slices['machine.slice'].memory_high", "above"),
    ({"slices": {"system.slice": {"memory_max": "1G"}}}, "memory_limits_slices['system.slice'].memory_max",
     "not larger than the host reserve"),
    ({"sysctl": {"vm.panic_on_oom": 3}}, "memory_limits_sysctl['vm.panic_on_oom']", "not one of 0, 1, 2"),
    ({"sysctl": {"vm.overcommit_ratio": 101}}, "memory_limits_sysctl['vm.overcommit_ratio']", "0 to 100"),
    ({"sysctl": {"vm.swappiness": 10}}, "memory_limits_sysctl['vm.swappiness']", "not a setting this role manages"),
    ({"sysctl": {"vm.panic_on_oom": True}}, "memory_limits_sysctl['vm.panic_on_oom']", "not one of"),
    ({"sysctl": "0"}, "memory_limits_sysctl", "expected a dictionary"),
    ({"runtime_directory_size": "0"}, "memory_limits_runtime_directory_size", "greater than zero"),
    ({"runtime_directory_size": "10 apples"}, "memory_limits_runtime_directory_size", "unknown size unit"),
    ({"guest_hard_limits": {"web": "4G", "db": "2G"}}, "memory_limits_slices['machine.slice'].memory_max",
     "the guests' hard limits add up to 6G"),
    ({"guest_hard_limits": {"web": "-4G"}}, "memory_limits_guest_hard_limits['web']", "negative"),
    ({"slices": {"machine": {"memory_max": "1G"}}}, "memory_limits_slices['machine']", "must end in .slice"),
    ({"slices": {"user.slice": {"memory_maxx": "1G"}}}, "memory_limits_slices['user.slice']", "unknown key(s) memory_maxx"),
    ({"slices": {"user.slice": "1G"}}, "memory_limits_slices['user.slice']", "expected a dictionary"),
    ({"user": {"tasks_max": 0}}, "memory_limits_per_user.tasks_max", "greater than zero"),
    ({"user": {"tasks_max": "-3"}}, "memory_limits_per_user.tasks_max", "greater than zero"),
    ({"user": {"tasks_max": "150%"}}, "memory_limits_per_user.tasks_max", "percentage"),
    ({"user": {"tasks_max": "lots"}}, "memory_limits_per_user.tasks_max", "number of tasks"),
    ({"user": {"tasks_max": True}}, "memory_limits_per_user.tasks_max", "number of tasks"),
    ({"services": {"app": {"memory_max": "1G", "allow_missing": "yes"}}},
     "memory_limits_services['app'].allow_missing", "true or false"),
    ({"services": {"a/b": {"memory_max": "1G"}}}, "memory_limits_services['a/b']", "not a service name"),
    ({"protected_services": ["ok", ""]}, "memory_limits_protected_services[1]", "not a service name"),
    ({"os_protected_services": [None]}, "memory_limits_protect_os_services", "not a service name"),
    ({"protected_oom_score_adjust": -2000}, "memory_limits_protected_oom_score_adjust", "-1000 to 1000"),
    ({"slices": {"machine.slice": {"memory_min": "2G", "memory_low": "1G"}}},
     "memory_limits_slices['machine.slice'].memory_min", "above"),
])
def test_refusals_name_the_variable(over, variable, words):
    message = refused(good(**over))
    assert variable in message
    assert words in message
    assert message.startswith("memory budget refused:")


def test_every_error_is_reported_at_once():
    message = refused(good(reserve="1Q", user={"memory_max": "-1G", "tasks_max": 0}))
    assert "memory_limits_reserve" in message
    assert "memory_limits_per_user.memory_max" in message
    assert "memory_limits_per_user.tasks_max" in message


def test_machine_plus_reserve_is_checked_with_percentages():
    message = refused(good(reserve="10%", slices={"machine.slice": {"memory_max": "95%"}}))
    assert "memory_limits_slices['machine.slice'].memory_max" in message
    assert "memory_limits_reserve (819.2M)" in message


def test_a_limit_exactly_filling_the_budget_is_accepted():
    memory_budget(good(reserve="1G", slices={"machine.slice": {"memory_max": "7G"}}), RAM, "v1")


def test_swap_zero_is_allowed_but_not_negative():
    memory_budget(good(slices={"machine.slice": {"memory_swap_max": "0"}}), RAM, "v2")
    assert "negative" in refused(good(slices={"machine.slice": {"memory_swap_max": "-1M"}}))


@pytest.mark.parametrize("config,total,version,words", [
    ("not a dict", RAM, "v2", "expected a dictionary"),
    ({"reserve": "1G", "colour": "red"}, RAM, "v2", "unknown setting(s) colour"),
    ({"slices": {}}, RAM, "v2", "'reserve' is required"),
    ({"reserve": "1G"}, "lots", "v2", "total must be a number"),
    ({"reserve": "1G"}, 0, "v2", "positive number of bytes"),
    ({"reserve": "1G"}, RAM, "v3", "v1 or v2"),
])
def test_filter_usage_errors(config, total, version, words):
    with pytest.raises(AnsibleFilterError) as exc:
        memory_budget(config, total, version)
    assert words in str(exc.value)


def test_module_utils_raises_budget_error_with_list():
    with pytest.raises(BudgetError) as exc:
        plan_memory_limits(RAM, "v2", reserve="9G", user={"memory_max": "0"})
    assert len(exc.value.errors) == 2


def test_system_slice_gets_a_ceiling_above_the_reserve_and_keeps_its_protection():
    config = good(slices=dict(good()["slices"], **{"system.slice": {"memory_max": "4G"}}))
    units = [d for d in memory_budget(config, RAM, "v2")["dropins"] if d["unit"] == "system.slice"]
    by_area = dict((d["area"], d["settings"]) for d in units)
    assert by_area["slices"]["MemoryMax"] == "4G" and by_area["slices"]["MemorySwapMax"] == "0"
    assert by_area["protect"]["MemoryLow"] == "1G"
    # system.slice holds the reserve: it is not counted with machine.slice and user.slice
    # (5G + 2G + 1G reserve = 8G fits; + 4G would not)
    assert "together" not in str(config)


def test_sshd_is_protected_without_an_oom_score_that_its_sessions_would_inherit():
    plan = memory_budget(good(oom_score_exempt=["ssh.service"]), RAM, "v2")
    ssh = by_unit(plan, "protect")["ssh.service"]
    assert "OOMScoreAdjust" not in ssh["settings"]
    assert ssh["settings"]["MemoryLow"] == "1G"
    assert any("-1000" in line and "session" in line for line in ssh["not_applied"])
    assert plan["oom_score_services"] == ["systemd-journald.service"]
    assert by_unit(plan, "protect")["systemd-journald.service"]["settings"]["OOMScoreAdjust"] == -500
    # on v1 nothing is left for sshd's drop-in but the explanation: it still gets one
    v1 = by_unit(memory_budget(good(oom_score_exempt=["ssh"]), RAM, "v1"), "protect")
    assert "OOMScoreAdjust" not in v1["ssh.service"]["settings"]


def test_kernel_and_session_files_are_planned():
    plan = memory_budget(good(sysctl={"vm.panic_on_oom": 0, "vm.overcommit_memory": "1"},
                              runtime_directory_size="5%"), RAM, "v2")
    entries = dict((d["kind"], d) for d in plan["dropins"])
    assert entries["sysctl"]["path"] == "/etc/sysctl.d/50-startsecure-memory.conf"
    assert entries["sysctl"]["settings"] == {"vm.overcommit_memory": 1, "vm.panic_on_oom": 0}
    assert entries["sysctl"]["runtime"] == {}
    assert entries["logind"]["settings"] == {"RuntimeDirectorySize": format_size(int(RAM * 0.05))}
    assert entries["logind"]["area"] == "sessions"


def test_guest_hard_limits_that_fit_machine_slice_are_accepted():
    memory_budget(good(guest_hard_limits={"web": "3G", "db": "2G"}), RAM, "v2")


def test_budget_rule_is_one_function_for_role_and_audit():
    # the same numbers the audit reads from systemd (bytes) give the same verdict
    problems = budget_problems(RAM, GIB, {"machine.slice": 5 * GIB, "user.slice": 3 * GIB},
                               top_level=["machine.slice", "user.slice"])
    assert problems and problems[0][0] is None and "together" in problems[0][1]
    assert budget_problems(RAM, GIB, {"machine.slice": 5 * GIB, "user.slice": 2 * GIB},
                           top_level=["machine.slice", "user.slice"]) == []
    assert budget_problems(RAM, GIB, {"machine.slice": 5 * GIB, "user.slice": 3 * GIB},
                           top_level=["machine.slice", "user.slice"], allow_overcommit=True) == []
    assert budget_problems(RAM, GIB, {"system.slice": GIB // 2}, top_level=["system.slice"])[0][0] == "system.slice"
    assert budget_problems(RAM, GIB, {}, guest_hard_limits={"a": GIB})[0][0] == "machine.slice"
