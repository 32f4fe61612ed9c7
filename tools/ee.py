"""The execution environment, really built and run (`make ee`, part of `make test`).

1. Builds execution-environment.yml with ansible-builder (docker as the container
   runtime) on the locally made base image startsecure-test/ee-base (tools/images.py;
   no registry is reachable). The image is tagged by a hash of its inputs (the EE
   definition, the base image's tag, the collection's files, the pip index given to the
   build), so an unchanged checkout reuses it. The build time is printed.
2. Starts a throwaway Debian 12 systemd container that answers ssh with a key made here.
3. Runs the audit (playbooks/audit.yml) against it twice through ansible-runner, the way
   AWX runs a job: once from this checkout's venv, once INSIDE the built EE
   (--process-isolation with docker, the private data directory mounted at /runner).
4. Compares the two results (returned through set_stats, the job's artifacts, and the
   audit.json each run wrote): same hosts, same controls, same statuses and evidence.

pip inside the build reaches packages the way this machine's pip does: the index is read
from `pip config` at run time and passed as the build argument PIP_INDEX_URL (when the
machine names one), and the base image trusts this machine's CA bundle (PIP_CERT).

Usage: python3 tools/ee.py [--keep] [--rebuild]
  --keep     leave the target container and the run directories
  --rebuild  build the EE again from nothing (no reuse, no Docker layer cache), e.g. to time it
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
EE_FILE = os.path.join(ROOT, "execution-environment.yml")
IMAGE = "startsecure-hardening-ee"
TARGET_IMAGE = "startsecure-test/debian12:current"
HOST = "ee-target"
# Part of the EE hash: raise it when a change here changes what the image contains.
TOOL_VERSION = "1"
# Findings whose evidence is a measurement of the moment, not a setting: the two runs
# happen a minute apart, so only their status is compared.
VOLATILE_EVIDENCE = {"PAT-006"}


def say(message):
    print("ee: %s" % message, flush=True)


def die(message):
    print("ee: %s" % message, file=sys.stderr, flush=True)
    sys.exit(1)


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    proc = subprocess.run(cmd, check=False, **kw)
    if proc.returncode != 0:
        die("command failed (%d): %s\n%s%s" % (proc.returncode, " ".join(cmd)[:300],
                                               (proc.stdout or "")[-3000:], (proc.stderr or "")[-3000:]))
    return proc


def pip_index():
    """The index this machine's pip uses, if it names one (read now, never written down)."""
    value = os.environ.get("PIP_INDEX_URL", "")
    if not value:
        proc = subprocess.run([os.path.join(BIN, "pip"), "config", "get", "global.index-url"],
                              capture_output=True, text=True, check=False)
        value = proc.stdout.strip() if proc.returncode == 0 else ""
    return value


def collection_tarball():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        version = [line.split()[1] for line in handle if line.startswith("version:")][0]
    path = os.path.join(ROOT, "build", "startsecure-hardening-%s.tar.gz" % version)
    if not os.path.exists(path):
        die("%s is missing: run make build first" % path)
    return path


def tarball_digest(path):
    """The collection's files, not the tarball's bytes (those carry build times)."""
    digest = hashlib.sha256()
    with tarfile.open(path) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            digest.update(member.name.encode())
            if member.isfile():
                digest.update(tar.extractfile(member).read())
    return digest.hexdigest()


def image_exists(ref):
    return subprocess.run(["docker", "image", "inspect", ref], capture_output=True, check=False).returncode == 0


def build_ee(tarball, index, rebuild=False):
    base = run([sys.executable, os.path.join(ROOT, "tools", "images.py"), "tag", "ee-base"]).stdout.strip()
    if not image_exists(base):
        run([sys.executable, os.path.join(ROOT, "tools", "images.py"), "build", "ee-base"], capture_output=False)
    # the EE file names the base by its stable alias; make sure it points at this recipe's image
    run(["docker", "tag", base, "startsecure-test/ee-base:current"])
    digest = hashlib.sha256()
    for part in (open(EE_FILE, "rb").read(), base.encode(), tarball_digest(tarball).encode(),
                 index.encode(), TOOL_VERSION.encode()):
        digest.update(part)
    ref = "%s:%s" % (IMAGE, digest.hexdigest()[:12])
    if image_exists(ref) and not rebuild:
        say("reusing %s (inputs unchanged)" % ref)
        return ref, None
    context = tempfile.mkdtemp(prefix="startsecure-ee-context-")
    cmd = [os.path.join(BIN, "ansible-builder"), "build", "--container-runtime", "docker", "-f", EE_FILE,
           "-t", ref, "-c", context, "-v", "2"]
    if index:
        cmd += ["--build-arg", "PIP_INDEX_URL=" + index]
    if rebuild:
        cmd.append("--no-cache")
    say("building %s with ansible-builder on %s" % (ref, base))
    started = time.monotonic()
    log = os.path.join(ROOT, "build", "ee-build.log")
    with open(log, "w") as handle:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, check=False)
    seconds = time.monotonic() - started
    shutil.rmtree(context, ignore_errors=True)
    if proc.returncode != 0:
        die("ansible-builder failed after %.0f s; see %s" % (seconds, log))
    say("built %s in %.0f s (log: %s)" % (ref, seconds, log))
    return ref, seconds


def start_target(name, workdir):
    key = os.path.join(workdir, "id_ed25519")
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "startsecure-ee-test", "-f", key])
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    run(["docker", "run", "-d", "--name", name, "--hostname", HOST, "--cap-add", "SYS_ADMIN", "--cgroupns=host",
         "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
         TARGET_IMAGE, "/lib/systemd/systemd"])
    with open(key + ".pub") as handle:
        pub = handle.read().strip()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = subprocess.run(["docker", "exec", name, "systemctl", "is-system-running"], capture_output=True,
                               text=True, check=False).stdout.strip()
        if state in ("running", "degraded"):
            break
        time.sleep(1)
    else:
        die("the target container did not finish booting")
    run(["docker", "exec", name, "sh", "-c", "install -d -m 0700 /root/.ssh && echo '%s' > /root/.ssh/authorized_keys"
         " && chmod 0600 /root/.ssh/authorized_keys && systemctl start ssh" % pub])
    address = run(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                   name]).stdout.strip()
    if not address:
        die("the target container has no address on Docker's bridge")
    return address, key


def private_data_dir(path, address, key, output_dir):
    """An ansible-runner private data directory, as AWX lays one out for a job."""
    os.makedirs(os.path.join(path, "inventory"))
    os.makedirs(os.path.join(path, "env"))
    with open(os.path.join(path, "inventory", "hosts"), "w") as handle:
        handle.write("[guests]\n%s ansible_host=%s ansible_user=root ansible_python_interpreter=/usr/bin/python3\n"
                     % (HOST, address))
    shutil.copy(key, os.path.join(path, "env", "ssh_key"))
    with open(os.path.join(path, "env", "envvars"), "w") as handle:
        json.dump({"ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_FORCE_COLOR": "0"}, handle)
    with open(os.path.join(path, "env", "extravars"), "w") as handle:
        json.dump({"audit_output_dir": output_dir, "audit_stats_result": True, "audit_keep_history": False}, handle)
    # The audit writes its reports there; inside the EE it runs as an unprivileged user.
    os.makedirs(os.path.join(path, "audit-results"))
    os.chmod(os.path.join(path, "audit-results"), 0o777)


# The job's id; ansible-runner also names its container after it, so it is unique per run.
IDENT = "audit-%d" % os.getpid()


def runner(path, *extra):
    cmd = [os.path.join(BIN, "ansible-runner"), "run", path, "-p", "startsecure.hardening.audit", "--ident", IDENT]
    cmd += list(extra)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build", "collections"),
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    with open(os.path.join(path, "runner-stdout.txt"), "w") as handle:
        handle.write(proc.stdout + proc.stderr)
    stats = artifact_data(path)
    # An un-hardened target fails the audit (rc 2): that is the audit's verdict, not a
    # broken run, as long as the result came back and says so.
    verdict_only = proc.returncode == 2 and stats is not None and stats["startsecure_audit"]["passed"] is False
    if (proc.returncode != 0 and not verdict_only) or stats is None:
        die("the audit through ansible-runner failed (rc %d); output in %s/runner-stdout.txt:\n%s"
            % (proc.returncode, path, (proc.stdout + proc.stderr)[-3000:]))
    with open(os.path.join(path, "audit-results", "audit.json")) as handle:
        written = json.load(handle)
    return stats, written, seconds


def artifact_data(path):
    """The set_stats data of the run, from the playbook_on_stats event (what AWX stores as artifacts)."""
    events = os.path.join(path, "artifacts", IDENT, "job_events")
    if not os.path.isdir(events):
        return None
    for name in sorted(os.listdir(events)):
        with open(os.path.join(events, name)) as handle:
            event = json.load(handle)
        if event.get("event") == "playbook_on_stats":
            return (event.get("event_data") or {}).get("artifact_data")
    return None


def judged(result):
    """What must be equal: per host and control, the status and (unless volatile) the evidence."""
    return dict(((host, f["id"]), (f["status"], f["severity"], None if f["id"] in VOLATILE_EVIDENCE else f["evidence"]))
                for host, data in result["hosts"].items() for f in data["findings"])


def compare(venv, ee):
    left, right = judged(venv), judged(ee)
    if set(left) != set(right):
        die("the EE judged other controls: only venv %s, only EE %s"
            % (sorted(set(left) - set(right))[:10], sorted(set(right) - set(left))[:10]))
    differing = [(key, left[key], right[key]) for key in sorted(left) if left[key] != right[key]]
    if differing:
        die("the EE's results differ from the venv's: %s" % differing[:10])
    return len(left)


def main(argv):
    keep = "--keep" in argv
    tarball = collection_tarball()
    index = pip_index()
    ref, build_seconds = build_ee(tarball, index, rebuild="--rebuild" in argv)
    workdir = tempfile.mkdtemp(prefix="startsecure-ee-run-")
    name = "startsecure-ee-target-%d" % os.getpid()
    try:
        address, key = start_target(name, workdir)
        say("target %s at %s (ssh with a key made for this run)" % (name, address))
        venv_dir, ee_dir = os.path.join(workdir, "venv"), os.path.join(workdir, "ee")
        private_data_dir(venv_dir, address, key, os.path.join(venv_dir, "audit-results"))
        private_data_dir(ee_dir, address, key, "/runner/audit-results")
        venv_stats, venv_json, venv_seconds = runner(venv_dir)
        say("audit from the venv through ansible-runner: %.0f s" % venv_seconds)
        ee_stats, ee_json, ee_seconds = runner(ee_dir, "--process-isolation", "--process-isolation-executable",
                                               "docker", "--container-image", ref)
        say("audit INSIDE the EE (%s) through ansible-runner: %.0f s" % (ref, ee_seconds))
        checked = 0
        for label, venv_result, ee_result in (("set_stats artifacts", venv_stats["startsecure_audit"]["result"],
                                               ee_stats["startsecure_audit"]["result"]),
                                              ("audit.json", venv_json, ee_json)):
            checked = compare(venv_result, ee_result)
            say("%s: the EE and the venv agree on %d findings (host, control, status, evidence)" % (label, checked))
        if venv_stats["startsecure_audit"]["counts"] != ee_stats["startsecure_audit"]["counts"]:
            die("the EE's counts differ: %s vs %s" % (venv_stats["startsecure_audit"]["counts"],
                                                      ee_stats["startsecure_audit"]["counts"]))
        say("OK: the EE %s; the audit inside it equals the venv's (%d findings; counts %s)"
            % ("was built in %.0f s" % build_seconds if build_seconds is not None else "was reused", checked,
               json.dumps(dict((k, v) for k, v in ee_stats["startsecure_audit"]["counts"].items()
                               if k in ("pass", "fail", "not_applicable", "error")))))
    finally:
        if keep:
            say("kept %s and %s" % (name, workdir))
        else:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
