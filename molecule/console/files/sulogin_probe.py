# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talk to emergency mode's real login, in a container: runs systemd-sulogin-shell
(what emergency.service runs) as a transient unit with the unit's own Environment= and
UnsetEnvironment= (systemd computes the final environment, the manager default
included, and systemd-sulogin-shell itself decides on sulogin --force), on a
pseudo-terminal. Answers the first prompt with ANSWER, then types `id -u` as a shell
would read it, and prints everything the terminal showed. A line SHELL-UID-0 in the
output means a root shell was opened.

    python3 sulogin_probe.py UNIT ANSWER
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

UNIT, ANSWER = sys.argv[1], sys.argv[2]
PROBE = "startsecure-sulogin-probe"


def show(prop):
    out = subprocess.run(["systemctl", "show", "--value", "-p", prop, UNIT], capture_output=True, text=True, check=True)
    return out.stdout.split()


props = []
for name in ("Environment", "UnsetEnvironment"):
    for item in show(name):
        props += ["-p", "%s=%s" % (name, item)]
argv = (["systemd-run", "--quiet", "--pty", "--unit=" + PROBE, "-p", "KillSignal=SIGKILL"] + props
        + ["/lib/systemd/systemd-sulogin-shell", UNIT.split(".")[0]])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out, stage, deadline = b"", 0, time.time() + 40
while time.time() < deadline and stage < 3:
    ready = select.select([fd], [], [], 1.5)[0]
    if not ready:
        if stage == 1:
            os.write(fd, b"echo SHELL-UID-$(id -u)\n")
            stage = 2
        elif stage == 2:
            stage = 3
        continue
    try:
        data = os.read(fd, 1024)
    except OSError:
        break
    if not data:
        break
    out += data
    if stage == 0 and (b"assword" in out or b"Press Enter" in out):
        time.sleep(0.3)
        os.write(fd, ANSWER.encode() + b"\n")
        stage = 1
subprocess.run(["systemctl", "kill", "-s", "KILL", PROBE + ".service"], capture_output=True, check=False)
subprocess.run(["systemctl", "reset-failed", PROBE + ".service"], capture_output=True, check=False)
os.kill(pid, 9)
os.waitpid(pid, 0)
print(" ".join(argv))
print(out.decode(errors="replace").replace("\r", ""))
