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
SANITY_DIR := $(or $(TMPDIR),/tmp)/startsecure-sanity-$(shell printf %s "$(CURDIR)" | cksum | cut -d" " -f1)/ansible_collections/startsecure/hardening
SCENARIOS  ?= $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
# Two tiers: systemd containers (fast, every role, check mode and idempotence) and
# real-kernel VMs under QEMU emulation (vm_*: cgroup v2, AppArmor, GRUB, reboots).
# vm_memory (leaks until the kernel kills them, on one VM) runs only on demand:
# `make molecule-vm_memory`; whether it joins `make test` is decided by its runtime.
VM_ON_DEMAND        := vm_memory
VM_SCENARIOS        := $(filter-out $(VM_ON_DEMAND),$(filter vm_%,$(SCENARIOS)))
CONTAINER_SCENARIOS := $(filter-out vm_%,$(SCENARIOS))
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0

.PHONY: help test test-containers test-vm venv host-tools vm-tools docker images vm-images collection-link \
        unit unit-matrix lint sanity sanity-matrix sanity-with changelog changelog-lint molecule molecule-vm \
        $(addprefix molecule-,$(SCENARIOS)) build install-check ee demo bench clean

# `make help` lists every target with the text after its `##`.
help: ## List the targets, one line each
	@awk -F':.*## ' '/^[a-zA-Z0-9_%-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

test: test-containers test-vm ## Everything, from nothing: both tiers
	@echo "make test: all steps passed"

test-containers: docker venv images unit unit-matrix lint sanity sanity-matrix changelog-lint install-check ee molecule ## Tier 1: unit, lint, sanity, install check, EE, container scenarios
	@echo "make test-containers: all steps passed"

test-vm: molecule-vm ## Tier 2: the real-kernel VM scenarios (building the VM images they boot)
	@echo "make test-vm: all steps passed"

venv: $(VENV)/.stamp ## The test tool chain in .venv (requirements-test.txt)
$(VENV)/.stamp: requirements-test.txt
	@$(PYTHON) -c 'import venv' 2>/dev/null || { echo "make venv: $(PYTHON) has no venv module (install python3-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-test.txt
	@touch $@

docker: host-tools ## Start a Docker engine if none runs (root on Debian)
	@bash tools/ensure-docker.sh

# Commands the harness and the verifiers call on the controller (ssh for real logins
# into the test containers, debootstrap for the images).
host-tools: ## Install the commands the verifiers call (ssh, debootstrap)
	@bash tools/ensure-commands.sh ssh:openssh-client debootstrap:debootstrap tar:tar

images: docker ## Build the Debian test images (cached by recipe hash)
	@$(PYTHON) tools/images.py build

# What the VM tier needs on the controller: QEMU (TCG emulation; KVM acceleration is not
# used), qemu-img for overlays, and the tools that make a partitioned disk without mounts.
vm-tools: host-tools ## Install QEMU and the disk tools the VM images need
	@bash tools/ensure-commands.sh qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils \
	  sfdisk:fdisk mkfs.ext4:e2fsprogs ssh-keygen:openssh-client

# Debian 12/13 VM disks (kernel, GRUB, AppArmor), cached by recipe hash (tools/vm.py).
vm-images: docker vm-tools images ## Build the Debian VM images (cached by recipe hash)
	@$(PYTHON) tools/vm.py build

collection-link: ## Link this checkout into build/collections for FQCN lookups
	@mkdir -p $(dir $(COLL_LINK))
	@ln -sfn $(CURDIR) $(COLL_LINK)

unit: venv collection-link ## Unit tests on the newest ansible-core
	$(BIN)/pytest -q tests/unit

lint: venv collection-link ## ansible-lint, production profile
	$(BIN)/ansible-lint --profile production

# ansible-test wants the collection under ansible_collections/<ns>/<name>: it gets a
# copy of the tracked files, outside the checkout. ansible-test makes a venv per sanity
# test and bootstraps pip in it with a script it downloads from a host that is not
# reachable here; tools/ansible_test_get_pip.py stands in for it, offline. Those venvs
# live in ~/.ansible/test, shared by every checkout on the machine: one run at a time.
sanity: venv ## ansible-test sanity on the newest ansible-core
	@$(MAKE) --no-print-directory sanity-with CORE_BIN=$(BIN)

sanity-with:
	@rm -rf $(SANITY_DIR) && mkdir -p $(SANITY_DIR)
	@git ls-files -z --cached --others --exclude-standard | xargs -0 tar -c -f - | tar -x -C $(SANITY_DIR)
	@$(CORE_BIN)/python tools/ansible_test_get_pip.py --install-cache
	cd $(SANITY_DIR) && flock /tmp/startsecure-ansible-test.lock $(CORE_BIN)/ansible-test sanity --python 3.11 --color no

# The older ansible-core minors that meta/runtime.yml admits (requires_ansible), oldest
# first; the newest minor is the main venv's (requirements-test.txt), so `unit` and
# `sanity` cover it. Each older one gets a small venv, .cache/core-<version>, made once
# (its stamp) with only ansible-core and pytest. tests/unit/test_version_floor.py keeps
# this list, meta/runtime.yml, the roles' metadata and the EE in agreement.
CORE_MATRIX := 2.17.14 2.18.19
PYTEST_PIN  := $(shell grep '^pytest==' requirements-test.txt)

.PRECIOUS: $(CURDIR)/.cache/core-%/.stamp
$(CURDIR)/.cache/core-%/.stamp: requirements-test.txt
	@rm -rf $(dir $@) && $(PYTHON) -m venv $(dir $@)
	$(dir $@)bin/pip install -q ansible-core==$* $(PYTEST_PIN)
	@touch $@

unit-matrix: $(addprefix unit-core-,$(CORE_MATRIX)) ## Unit tests on each older ansible-core minor admitted
unit-core-%: $(CURDIR)/.cache/core-%/.stamp collection-link
	$(CURDIR)/.cache/core-$*/bin/pytest -q tests/unit

sanity-matrix: $(addprefix sanity-core-,$(CORE_MATRIX)) ## ansible-test sanity on each older minor admitted
sanity-core-%: $(CURDIR)/.cache/core-%/.stamp venv
	@$(MAKE) --no-print-directory sanity-with CORE_BIN=$(CURDIR)/.cache/core-$*/bin

molecule: $(addprefix molecule-,$(CONTAINER_SCENARIOS)) ## Every container scenario, newest ansible-core only (one: make molecule-<name>)

$(addprefix molecule-,$(CONTAINER_SCENARIOS)): molecule-%: venv images collection-link ## One scenario, e.g. make molecule-ssh
	$(BIN)/molecule test -s $*

# The VM scenarios run side by side: each VM is one emulation thread, one per core. Each
# scenario's create builds the VM images it boots when they are missing (tools/vm.py up),
# so the two image builds run side by side too, and only the images in use are built.
molecule-vm: venv vm-tools images collection-link ## Every VM scenario, two at a time
	$(MAKE) -j2 --output-sync=target $(addprefix molecule-,$(VM_SCENARIOS))

# The VM tier's budget holds one guest release in `make test` (a module call costs about
# 2.5 s in a VM): Debian 13 there, Debian 12 in vm_kvm_host. `make molecule-vm_guest
# VM_GUEST_PLATFORM=` converges both releases.
VM_GUEST_PLATFORM ?= vm-guest-debian13
__vm_platform_vm_guest = $(if $(VM_GUEST_PLATFORM),--platform-name $(VM_GUEST_PLATFORM))
VM_MEMORY_PLATFORM ?=
__vm_platform_vm_memory = $(if $(VM_MEMORY_PLATFORM),--platform-name $(VM_MEMORY_PLATFORM))

$(addprefix molecule-,$(VM_SCENARIOS) $(VM_ON_DEMAND)): molecule-%: venv vm-tools images collection-link
	@start=$$(date +%s); $(BIN)/molecule test -s $* $(__vm_platform_$*) && \
	  echo "molecule-$*: passed in $$(( $$(date +%s) - start )) s"

build: venv ## The collection tarball, checked to hold no generated output
	@mkdir -p build
	cd build && $(BIN)/ansible-galaxy collection build --force ..
	$(BIN)/python tools/check_tarball.py build/startsecure-hardening-$$(awk '/^version:/ {print $$2}' galaxy.yml).tar.gz

# The README's install instructions, followed into an empty collections path; then
# the documentation of every module, filter and role must render from the installed copy.
install-check: build ## Install the tarball as the README says; every module, filter and role doc renders
	@rm -rf build/install-check && mkdir -p build/install-check
	cd build && ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/install-check \
	  $(BIN)/ansible-galaxy collection install startsecure-hardening-$$(awk '/^version:/ {print $$2}' ../galaxy.yml).tar.gz
	@export ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/install-check; \
	for t in module filter role; do \
	  names=$$($(BIN)/ansible-doc -t $$t -l startsecure.hardening --json | $(BIN)/python -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))'); \
	  [ -n "$$names" ] || { echo "install-check: no $$t plugins found in the installed collection"; exit 1; }; \
	  $(BIN)/ansible-doc -t $$t $$names > /dev/null || exit 1; \
	  echo "install-check: $$t documentation renders: $$names"; \
	done

# The execution environment built with ansible-builder on a local base image and run as
# AWX runs it (ansible-runner, process isolation): its audit must equal the venv's.
# The image is cached by a hash of its inputs; `python3 tools/ee.py --rebuild` times a
# build from nothing.
ee: venv images build collection-link ## Build the EE (cached by its inputs) and prove its audit equals the venv's
	$(BIN)/python tools/ee.py

clean: ## Remove build output
	rm -rf build tests/output

# The lab demo: containers for one KVM host (two TCG guests) and one guest, audited,
# hardened with playbooks/site.yml, audited again; reports in demo-output/.
demo: venv images collection-link ## The container lab: audit, harden, audit again (demo-output/)
	$(BIN)/python tools/demo.py

# Timings: the audit of 1, 5 and 20 containers, and hardening one fresh guest twice.
bench: venv images collection-link ## Time audits of 1, 5 and 20 hosts and a hardening run
	$(BIN)/python tools/bench.py

# Release tooling in its own venv (requirements-release.txt). `changelog-lint` checks
# the fragments and that CHANGELOG.rst is what changelogs/changelog.yaml generates;
# `make changelog VERSION=x.y.z` cuts a release: fragments, new modules, plugins,
# roles and playbooks go into changelogs/changelog.yaml and CHANGELOG.rst.
RELEASE_BIN := $(CURDIR)/.cache/release/bin
$(CURDIR)/.cache/release/.stamp: requirements-release.txt
	@rm -rf $(dir $@) && $(PYTHON) -m venv $(dir $@)
	$(RELEASE_BIN)/pip install -q -r requirements-release.txt
	@touch $@

changelog-lint: $(CURDIR)/.cache/release/.stamp collection-link ## antsibull-changelog lint; CHANGELOG.rst up to date
	$(RELEASE_BIN)/antsibull-changelog lint
	@cp CHANGELOG.rst build/CHANGELOG.rst.before
	PATH=$(BIN):$$PATH $(RELEASE_BIN)/antsibull-changelog generate
	@cmp -s CHANGELOG.rst build/CHANGELOG.rst.before || { echo "changelog-lint: CHANGELOG.rst was not generated from changelogs/changelog.yaml (now it is: commit it)"; exit 1; }

changelog: $(CURDIR)/.cache/release/.stamp collection-link ## Cut release VERSION: fragments and new plugins into CHANGELOG.rst
	@[ -n "$(VERSION)" ] || { echo "make changelog: say VERSION=x.y.z"; exit 1; }
	PATH=$(BIN):$$PATH $(RELEASE_BIN)/antsibull-changelog release --version $(VERSION)
