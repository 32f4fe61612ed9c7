#!/bin/sh
# Turns a running container of a test image into the root file system of a real-kernel
# test VM: a kernel and initramfs, GRUB for BIOS boot (installed on the VM's own disk at
# its first boot, see tools/vm.py), AppArmor, systemd-networkd with DHCP on the virtio NIC,
# and the non-root admin account a real operator connects with.
# Input: VM_PACKAGES (extra Debian packages of the recipe). Runs as root in the container.
set -eu
export DEBIAN_FRONTEND=noninteractive
# Nothing may start inside the build container.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d
# The security suite beside the main suite (the same mirror, its debian-security
# sibling), as a standard install has it: the image carries the security fixes published
# until it was built, so a scenario does not spend its minutes under emulation upgrading
# a kernel (PAT-005 would otherwise fail on every fresh image). A test that needs
# pending updates makes them itself.
if ! grep -rqs -- '-security' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    main=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
    suite=$(awk '$1 == "deb" { print $3; exit }' /etc/apt/sources.list)
    case "$main" in
        */debian) echo "deb ${main%/debian}/debian-security ${suite}-security main" \
                      > /etc/apt/sources.list.d/debian-security.list ;;
        *) echo "vm-setup: cannot derive the security suite from '$main'" >&2; exit 1 ;;
    esac
fi
apt-get update -qq
apt-get upgrade -y -qq >/dev/null
# grub-pc must not try to install itself on a device of the build machine.
echo 'grub-pc grub-pc/install_devices multiselect' | debconf-set-selections
echo 'grub-pc grub-pc/install_devices_empty boolean true' | debconf-set-selections
extra=""
# Debian 13 ships systemd-networkd and the resolver in packages of their own.
for pkg in systemd-networkd systemd-timesyncd; do
    if apt-cache show "$pkg" >/dev/null 2>&1; then extra="$extra $pkg"; fi
done
# libpam-systemd: what a standard Debian install has, so logins land in user.slice.
# unattended-upgrades and needrestart, as cloud images and most servers have them: the
# patching role installs them itself (proven in the container tier), and dpkg under
# emulation would cost the VM scenarios minutes.
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends linux-image-amd64 initramfs-tools \
    grub-pc apparmor libpam-systemd kmod udev unattended-upgrades needrestart \
    $extra ${VM_PACKAGES:-} >/dev/null

# Serial console for boot loader, kernel and a getty: a test reads boot messages and
# talks to getty or sulogin through it.
cat > /etc/default/grub <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8"
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
GRUB
echo 'LABEL=startsecure-root / ext4 errors=remount-ro 0 1' > /etc/fstab

mkdir -p /etc/systemd/network
printf '[Match]\nName=en*\n\n[Network]\nDHCP=yes\n' > /etc/systemd/network/50-dhcp.network
# /etc/resolv.conf (10.0.2.3: QEMU's user-mode DNS), /etc/hostname and /etc/hosts are
# Docker's bind mounts here: tools/vm.py writes the VM's own after the export.
systemctl enable ssh.service systemd-networkd.service
systemctl enable serial-getty@ttyS0.service

# The admin: key login only (the public key is put in place when the disk is made),
# sudo without a password through a drop-in of its own, as cloud images set it up.
# Root keeps debootstrap's locked password, as on cloud images.
useradd --create-home --shell /bin/bash --groups sudo admin
usermod --password '*' admin
install -d -m 0700 -o admin -g admin /home/admin/.ssh
echo 'admin ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/90-admin
chmod 0440 /etc/sudoers.d/90-admin
visudo -c >/dev/null

rm -f /usr/sbin/policy-rc.d
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
touch -d @0 /var/lib/apt/lists
