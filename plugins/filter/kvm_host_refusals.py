# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kvm_host role's guards: what on this host makes a planned change disruptive.
Each returns a sentence naming the variable and what was found, or nothing."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError


def _int(value):
    """Values arrive as text read from /sys and /proc: '' or None is unknown."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def admin_group_refusal(group, members, admins, connecting_user):
    """Making the socket group exactly kvm_host_admins: refuse when that empties a group
    that has members, or when the account running the play would be removed from it."""
    members = [m for m in members or [] if m]
    admins = list(admins or [])
    if not admins and members:
        return ("kvm_host_admins is empty but group %s has members (%s): making the group exact would remove "
                "every one of them from libvirt. List the accounts that keep access in kvm_host_admins, or set "
                "kvm_host_access_enabled: false." % (group, ", ".join(members)))
    if connecting_user and connecting_user != "root" and connecting_user in members and connecting_user not in admins:
        return ("kvm_host_admins (%s) does not include %s, the account running this play, which is a member of "
                "group %s: it would lose access to libvirt. Add it to kvm_host_admins."
                % (", ".join(admins), connecting_user, group))
    return ""


def ksm_unmerge_refusal(run, pages_sharing, page_size, mem_available_kib):
    """Unmerging KSM pages gives every guest its own copy again: refuse when the memory
    available now does not cover the pages that would be copied."""
    run, pages_sharing, mem_available_kib = _int(run), _int(pages_sharing), _int(mem_available_kib)
    if run in (None, 0) or not pages_sharing:
        return ""
    need_kib = pages_sharing * (_int(page_size) or 4096) // 1024
    if mem_available_kib is None or need_kib > int(mem_available_kib):
        return ("kvm_host_ksm_enabled: KSM shares %d pages now (%d MiB once unmerged) but only %s MiB are "
                "available: unmerging would push the host into swap or the OOM killer. Free memory or move guests "
                "first, or set kvm_host_ksm_enabled: false."
                % (int(pages_sharing), need_kib // 1024,
                   "an unknown number of" if mem_available_kib is None else int(mem_available_kib) // 1024))
    return ""


def kexec_refusal(wanted, crash_loaded, kdump_units):
    """kernel.kexec_load_disabled=1 stops kdump from (re)loading its crash kernel."""
    if not wanted:
        return ""
    found = []
    if _int(crash_loaded) == 1:
        found.append("a crash kernel is loaded (/sys/kernel/kexec_crash_loaded = 1)")
    if kdump_units:
        found.append("%s enabled" % ", ".join(kdump_units))
    if not found:
        return ""
    return ("kvm_host_sysctl sets kernel.kexec_load_disabled = 1 but kdump is in use here (%s): it could no longer "
            "load its crash kernel after a kernel update. Set kernel.kexec_load_disabled: 0 in kvm_host_sysctl "
            "to keep kdump." % "; ".join(found))


def tls_mask_refusal(masking, peers):
    """Masking the TLS socket cuts remote managers and migration peers connected now."""
    peers = sorted(set(p for p in peers or [] if p))
    if not masking or not peers:
        return ""
    return ("kvm_host_listen_tls is false, so the TLS socket (port 16514) would be stopped and masked, but it is in "
            "use now by %s (remote management or migration peers). Set kvm_host_listen_tls: true (with "
            "kvm_host_tls_allowed_dn_list), or move those clients off first." % ", ".join(peers))


def kvm_host_refusals(state):
    if not isinstance(state, dict):
        raise AnsibleFilterError("kvm_host_refusals: input must be a dict, got %s" % type(state).__name__)
    out = []
    access = state.get("access")
    if access:
        out.append(admin_group_refusal(access.get("group"), access.get("members"), access.get("admins"),
                                       access.get("connecting_user")))
    ksm = state.get("ksm")
    if ksm:
        out.append(ksm_unmerge_refusal(ksm.get("run"), ksm.get("pages_sharing"), ksm.get("page_size"),
                                       ksm.get("mem_available_kib")))
    kexec = state.get("kexec")
    if kexec:
        out.append(kexec_refusal(kexec.get("wanted"), kexec.get("crash_loaded"), kexec.get("kdump_units")))
    tls = state.get("tls")
    if tls:
        out.append(tls_mask_refusal(tls.get("masking"), tls.get("peers")))
    return [m for m in out if m]


class FilterModule(object):
    def filters(self):
        return {"kvm_host_refusals": kvm_host_refusals}
