# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a leak and check that sshd keeps answering on 127.0.0.1:22 while it runs.

Usage: leak_probe.py PROGRESS_FILE -- COMMAND...

Starts COMMAND (a leak: a service start or a systemd-run) and, while it runs, reads
the SSH banner from 127.0.0.1:22 every 0.4 s with a 3 s timeout (LEAK_PROBE_CONNECT_TIMEOUT
seconds when set). Afterwards prints
JSON: the command's exit code and output, the hog's last progress (how many MiB it
held, whether it finished, its cgroups), and the banner reads taken while the leak
still ran (ok and failed, with the failures' reasons). Bounded in time: the command
is killed after 120 s (LEAK_PROBE_TIMEOUT seconds when set; LEAK_PROBE_INTERVAL sets
the probe interval). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

INTERVAL = float(os.environ.get("LEAK_PROBE_INTERVAL", "0.4"))
TIMEOUT = float(os.environ.get("LEAK_PROBE_TIMEOUT", "120"))
CONNECT_TIMEOUT = float(os.environ.get("LEAK_PROBE_CONNECT_TIMEOUT", "3"))


def banner():
    try:
        with socket.create_connection(("127.0.0.1", 22), timeout=CONNECT_TIMEOUT) as sock:
            data = sock.recv(256)
        if data.startswith(b"SSH-"):
            return True, data.decode("ascii", "replace").strip()
        return False, data.decode("ascii", "replace").strip()
    except OSError as exc:
        return False, str(exc)


def main():
    split = sys.argv.index("--")
    progress, command = sys.argv[1], sys.argv[split + 1:]
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ok, failed, last = 0, [], ""
    while proc.poll() is None and time.monotonic() - started < TIMEOUT:
        good, text = banner()
        if proc.poll() is not None:
            break  # only reads taken while the leak still ran count
        if good:
            ok += 1
            last = text
        else:
            failed.append(text)
        time.sleep(INTERVAL)
    if proc.poll() is None:
        proc.kill()
    output = proc.communicate()[0]
    try:
        with open(progress) as handle:
            hog = json.load(handle)
    except (OSError, ValueError) as exc:
        hog = {"error": str(exc)}
    print(json.dumps({"rc": proc.returncode, "output": output, "seconds": round(time.monotonic() - started, 2),
                      "hog": hog, "banners_ok": ok, "banners_failed": failed, "banner": last}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
