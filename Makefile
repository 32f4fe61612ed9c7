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
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0



.PHONY: test venv host-tools docker images collection-link unit lint sanity molecule \
        $(addprefix molecule-,$(SCENARIOS)) build install-check ee demo bench clean

test: docker venv images unit lint sanity install-check ee molecule
	@echo "make test: all steps passed"

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
# reachable here; tools/ansible_test_get_pip.py stands in for it, offline. Those venvs
# live in ~/.ansible/test, shared by every checkout on the machine: one run at a time.
sanity: venv
	@rm -rf $(SANITY_DIR) && mkdir -p $(SANITY_DIR)
	@git ls-files -z --cached --others --exclude-standard | xargs -0 tar -c -f - | tar -x -C $(SANITY_DIR)
	@$(BIN)/python tools/ansible_test_get_pip.py --install-cache
	cd $(SANITY_DIR) && flock /tmp/startsecure-ansible-test.lock $(BIN)/ansible-test sanity --python 3.11 --color no

molecule: $(addprefix molecule-,$(SCENARIOS))

$(addprefix molecule-,$(SCENARIOS)): molecule-%: venv images collection-link
	$(BIN)/molecule test -s $*

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

# The execution environment built with ansible-builder on a local base image and run as
# AWX runs it (ansible-runner, process isolation): its audit must equal the venv's.
# The image is cached by a hash of its inputs; `python3 tools/ee.py --rebuild` times a
# build from nothing.
ee: venv images build collection-link
	$(BIN)/python tools/ee.py

clean:
	rm -rf build tests/output

# The lab demo: containers for one KVM host (two TCG guests) and one guest, audited,
# hardened with playbooks/site.yml, audited again; reports in demo-output/.
demo: venv images collection-link
	$(BIN)/python tools/demo.py

# Timings: the audit of 1, 5 and 20 containers, and hardening one fresh guest twice.
bench: venv images collection-link
	$(BIN)/python tools/bench.py
