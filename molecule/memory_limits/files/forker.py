# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bounded fork bomb: tries to start WANTED sleeping children and reports how many it got.

Usage: forker.py WANTED

Each child sleeps at most 20 s. The parent stops at the first fork the kernel refuses
(EAGAIN: the pids controller's TasksMax is reached) or at WANTED, prints JSON
{"wanted", "started", "refused"}, then kills and reaps every child. Never unbounded.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time


def main():
    wanted = int(sys.argv[1])
    children, refused = [], None
    for _child in range(wanted):
        try:
            pid = os.fork()
        except OSError as exc:
            refused = exc.strerror
            break
        if pid == 0:
            time.sleep(20)
            os._exit(0)
        children.append(pid)
    print(json.dumps({"wanted": wanted, "started": len(children), "refused": refused}), flush=True)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    for pid in children:
        os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
