#!/bin/sh
# Build the scenario's local APT repositories from nothing (dpkg-deb only, no network):
#
#   /srv/localrepo/debs/            version 1 of both test packages (installed by prepare)
#   /srv/localrepo/security/        "<codename>-security": Origin Debian, Label Debian-Security
#                                   -> startsecure-hello 2.0 (a security update)
#   /srv/localrepo/main/            "<codename>": Origin Debian, Label Debian
#                                   -> startsecure-other 2.0 (an ordinary update)
#
# The Release files mimic Debian's own archives, so the test exercises the role's DEFAULT
# security patterns (no test-only origin), and the main archive - which the stock
# 50unattended-upgrades allows - proves that the role limits unattended upgrades to security.
set -eu
codename=$1
arch=$(dpkg --print-architecture)
root=/srv/localrepo
work=$(mktemp -d)
rm -rf "$root"
mkdir -p "$root/debs" "$root/security/pool" "$root/main/pool"

control() { # name version description
    cat <<CTRL
Package: $1
Version: $2
Architecture: $arch
Maintainer: startsecure test <root@localhost>
Section: misc
Priority: optional
Description: $3
 Test data of the startsecure.hardening patching scenario.
CTRL
}

build_hello() { # version destination
    d=$work/hello-$1
    mkdir -p "$d/DEBIAN" "$d/usr/lib/startsecure-hello" "$d/lib/systemd/system"
    control startsecure-hello "$1" "daemon whose binary an upgrade replaces" > "$d/DEBIAN/control"
    # Real ELF binaries (copies of sleep) so /proc/PID/exe shows "(deleted)" once an
    # upgrade replaces them; the version marker appended makes the two versions differ.
    for bin in startsecure-hellod qemu-system-x86_64; do
        cp /bin/sleep "$d/usr/lib/startsecure-hello/$bin"
        printf 'startsecure-hello %s\n' "$1" >> "$d/usr/lib/startsecure-hello/$bin"
    done
    cat > "$d/lib/systemd/system/startsecure-hello.service" <<UNIT
[Unit]
Description=startsecure test daemon (patching scenario)
[Service]
ExecStart=/usr/lib/startsecure-hello/startsecure-hellod infinity
UNIT
    cat > "$d/lib/systemd/system/startsecure-fakeguest.service" <<UNIT
[Unit]
Description=stand-in for a QEMU guest process (patching scenario, no real QEMU)
[Service]
ExecStart=/usr/lib/startsecure-hello/qemu-system-x86_64 infinity
UNIT
    dpkg-deb --root-owner-group -Zxz -b "$d" "$2/startsecure-hello_$1_$arch.deb" >/dev/null
}

build_other() { # version destination
    d=$work/other-$1
    mkdir -p "$d/DEBIAN" "$d/usr/share/startsecure-other"
    control startsecure-other "$1" "ordinary (non-security) test package" > "$d/DEBIAN/control"
    echo "$1" > "$d/usr/share/startsecure-other/VERSION"
    dpkg-deb --root-owner-group -Zxz -b "$d" "$2/startsecure-other_$1_$arch.deb" >/dev/null
}

index() { # repo-dir suite origin label
    dist=$1/dists/$2
    mkdir -p "$dist/main/binary-$arch"
    : > "$dist/main/binary-$arch/Packages"
    for deb in "$1"/pool/*.deb; do
        {
            dpkg-deb -f "$deb"
            echo "Filename: pool/$(basename "$deb")"
            echo "Size: $(stat -c %s "$deb")"
            echo "SHA256: $(sha256sum "$deb" | cut -d' ' -f1)"
            echo
        } >> "$dist/main/binary-$arch/Packages"
    done
    packages=main/binary-$arch/Packages
    cat > "$dist/Release" <<REL
Origin: $3
Label: $4
Suite: $2
Codename: $2
Date: $(LC_ALL=C date -Ru)
Architectures: $arch
Components: main
SHA256:
 $(sha256sum "$dist/$packages" | cut -d' ' -f1) $(stat -c %s "$dist/$packages") $packages
REL
}

build_hello 1.0 "$root/debs"
build_other 1.0 "$root/debs"
build_hello 2.0 "$root/security/pool"
build_other 2.0 "$root/main/pool"
index "$root/security" "$codename-security" Debian Debian-Security
index "$root/main" "$codename" Debian Debian
rm -rf "$work"
