#!/usr/bin/env bash
# Make sure a Docker engine answers. On a fresh Debian machine where we are root,
# install Debian's docker.io and start dockerd in the background; anywhere else stop
# with one line that says what is missing (no stack trace, no half-done state).
set -u
LOG=${DOCKERD_LOG:-/var/log/startsecure-dockerd.log}

die() { echo "ensure-docker: $*" >&2; exit 1; }

if docker info >/dev/null 2>&1; then
    echo "ensure-docker: engine already answers ($(docker version -f '{{.Server.Version}}' 2>/dev/null))"
    exit 0
fi

[ "$(id -u)" = 0 ] || die "no Docker engine answers and we are not root: start one (or run as root on Debian) and retry"
[ -r /etc/debian_version ] || die "no Docker engine answers and this is not Debian: install and start Docker, then retry"

if ! command -v dockerd >/dev/null 2>&1; then
    echo "ensure-docker: installing Debian's docker.io"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed: no package source reachable"
    apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null 2>&1 \
        || die "apt-get install docker.io failed"
fi

echo "ensure-docker: starting dockerd (log: $LOG)"
# The engine outlives this script: it must not inherit the caller's other descriptors
# (a `flock` held around `make` would otherwise stay held by dockerd for good).
(
    for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
    done
    exec setsid dockerd >"$LOG" 2>&1 < /dev/null
) &
for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        echo "ensure-docker: engine up ($(docker version -f '{{.Server.Version}}' 2>/dev/null))"
        exit 0
    fi
    sleep 1
done
die "dockerd did not answer within 60 s; see $LOG"
