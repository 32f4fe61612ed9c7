#!/usr/bin/env bash
# Make sure the controller has the commands the tests call, as "command:debian-package"
# pairs: a missing one is installed from Debian's packages when we are root on Debian,
# otherwise we stop with one line naming what to install.
set -u
missing=()
for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || [ ! -r /etc/debian_version ]; then
    echo "ensure-commands: missing ${missing[*]}: install them (root on Debian does it by itself)" >&2
    exit 1
fi
echo "ensure-commands: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || { echo "ensure-commands: apt-get update failed" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { echo "ensure-commands: apt-get install ${missing[*]} failed" >&2; exit 1; }
