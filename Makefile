# The whole test suite from nothing: `make test`. Each step is its own target.
# Everything is installed by these targets; nothing on the machine is assumed but
# Python 3.11 and, for the Docker part, root on Debian (or a running Docker engine).

SHELL      := /bin/bash
PYTHON     ?= python3
VENV       := $(CURDIR)/.venv
BIN        := $(VENV)/bin
export PATH := $(BIN):$(PATH)
COLL_LINK  := $(CURDIR)/build/collections/ansible_collections/startsecure/hardening
# Outside the checkout: inside it, ansible-test would ask the outer git repo for files.
SANITY_DIR := $(or $(TMPDIR),/tmp)/startsecure-sanity/ansible_collections/startsecure/hardening
SCENARIOS  ?= $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
# Two tiers: systemd containers (fast, every role, check mode and idempotence) and
# real-kernel VMs under QEMU emulation (vm_*: cgroup v2, AppArmor, GRUB, reboots).
VM_SCENARIOS        := $(filter vm_%,$(SCENARIOS))
CONTAINER_SCENARIOS := $(filter-out vm_%,$(SCENARIOS))
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0



.PHONY: test test-containers test-vm venv host-tools vm-tools docker images vm-images \
        collection-link unit lint sanity molecule molecule-vm \
        $(addprefix molecule-,$(SCENARIOS)) build install-check demo bench clean

test: test-containers test-vm
	@echo "make test: all steps passed"

test-containers: docker venv images unit lint sanity install-check molecule
	@echo "make test-containers: all steps passed"

test-vm: molecule-vm
	@echo "make test-vm: all steps passed"

venv: $(VENV)/.stamp
$(VENV)/.stamp: requirements-test.txt
	@$(PYTHON) -c 'import venv' 2>/dev/null || { echo "make venv: $(PYTHON) has no venv module (install python3-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-test.txt
	@touch $@

docker: host-tools
	@bash tools/ensure-docker.sh

# Commands the harness and the verifiers call on the controller (ssh for real logins
# into the test containers, debootstrap for the images).
host-tools:
	@bash tools/ensure-commands.sh ssh:openssh-client debootstrap:debootstrap tar:tar

images: docker
	@$(PYTHON) tools/images.py build

# What the VM tier needs on the controller: QEMU (TCG emulation; KVM acceleration is not
# used), qemu-img for overlays, and the tools that make a partitioned disk without mounts.
vm-tools: host-tools
	@bash tools/ensure-commands.sh qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils \
	  sfdisk:fdisk mkfs.ext4:e2fsprogs ssh-keygen:openssh-client

# Debian 12/13 VM disks (kernel, GRUB, AppArmor), cached by recipe hash (tools/vm.py).
vm-images: docker vm-tools images
	@$(PYTHON) tools/vm.py build

collection-link:
	@mkdir -p $(dir $(COLL_LINK))
	@ln -sfn $(CURDIR) $(COLL_LINK)

unit: venv collection-link
	$(BIN)/pytest -q tests/unit

lint: venv collection-link
	$(BIN)/ansible-lint --profile production

# ansible-test wants the collection under ansible_collections/<ns>/<name>: it gets a
# copy of the tracked files, outside the checkout. ansible-test makes a venv per sanity
# test and bootstraps pip in it with a script it downloads from a host that is not
# reachable here; tools/ansible_test_get_pip.py stands in for it, offline.
sanity: venv
	@rm -rf $(SANITY_DIR) && mkdir -p $(SANITY_DIR)
	@git ls-files -z --cached --others --exclude-standard | xargs -0 tar -c -f - | tar -x -C $(SANITY_DIR)
	@$(BIN)/python tools/ansible_test_get_pip.py --install-cache
	cd $(SANITY_DIR) && $(BIN)/ansible-test sanity --python 3.11 --color no

molecule: $(addprefix molecule-,$(CONTAINER_SCENARIOS))

# The VM scenarios run side by side: each VM is one emulation thread, one per core.
molecule-vm: venv vm-images collection-link
	$(MAKE) -j2 --output-sync=target $(addprefix molecule-,$(VM_SCENARIOS))

$(addprefix molecule-,$(CONTAINER_SCENARIOS)): molecule-%: venv images collection-link
	$(BIN)/molecule test -s $*

# The VM tier's budget holds one guest release in `make test` (a module call costs about
# 2.5 s in a VM): Debian 13 there, Debian 12 in vm_kvm_host. `make molecule-vm_guest
# VM_GUEST_PLATFORM=` converges both releases.
VM_GUEST_PLATFORM ?= vm-guest-debian13
__vm_platform_vm_guest = $(if $(VM_GUEST_PLATFORM),--platform-name $(VM_GUEST_PLATFORM))

$(addprefix molecule-,$(VM_SCENARIOS)): molecule-%: venv vm-images collection-link
	@start=$$(date +%s); $(BIN)/molecule test -s $* $(__vm_platform_$*) && \
	  echo "molecule-$*: passed in $$(( $$(date +%s) - start )) s"

build: venv
	@mkdir -p build
	cd build && $(BIN)/ansible-galaxy collection build --force ..

# The README's install instructions, followed into an empty collections path; then
# every module and filter documentation must render from the installed copy.
install-check: build
	@rm -rf build/install-check && mkdir -p build/install-check
	cd build && ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/install-check \
	  $(BIN)/ansible-galaxy collection install startsecure-hardening-$$(awk '/^version:/ {print $$2}' ../galaxy.yml).tar.gz
	@export ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/install-check; \
	for t in module filter; do \
	  names=$$($(BIN)/ansible-doc -t $$t -l startsecure.hardening --json | $(BIN)/python -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))'); \
	  [ -n "$$names" ] || { echo "install-check: no $$t plugins found in the installed collection"; exit 1; }; \
	  $(BIN)/ansible-doc -t $$t $$names > /dev/null || exit 1; \
	  echo "install-check: $$t documentation renders: $$names"; \
	done

clean:
	rm -rf build tests/output

# The lab demo: containers for one KVM host (two TCG guests) and one guest, audited,
# hardened with playbooks/site.yml, audited again; reports in demo-output/.
demo: venv images collection-link
	$(BIN)/python tools/demo.py

# Timings: the audit of 1, 5 and 20 containers, and hardening one fresh guest twice.
bench: venv images collection-link
	$(BIN)/python tools/bench.py
