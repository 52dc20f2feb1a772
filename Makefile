# gatepost: two entry points.
#   make demo   create the venv, install, run `gatepost demo` (embedded SQLite + local media,
#               its own Mosquitto: the system packages are installed first if it is missing)
#   make test   install everything the tests need, start the S3 test store and the MQTT
#               broker, run all checks
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test venv venv-test system-deps lint typecheck security-scan pytest axe s3-start s3-stop mqtt-start mqtt-stop clean

# The demo runs its own Mosquitto (scripts/mosquitto.sh): installed first when missing.
demo: venv
	@{ [ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null 2>&1; } || $(MAKE) system-deps
	$(BIN)/gatepost demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Installed without their declared dependencies, which pyproject.toml provides otherwise:
# - rapidocr-onnxruntime and hyperlpr2 (plate reading) declare opencv-python, a second
#   OpenCV wheel beside our opencv-python-headless; both run on the headless one.
# - rapidocr 3.x carries the PP-OCRv6 recogniser that reads Latin plates; only its
#   model file is used (its own dependencies, omegaconf and opencv-python, are not).
# - face_recognition (the baseline of `gatepost bench faces`) declares dlib, which pip
#   would compile; we use dlib-bin.
NODEPS = rapidocr-onnxruntime==1.4.4 rapidocr==3.10.0 hyperlpr2==2.0.0 face-recognition==1.3.0

$(VENV)/.installed: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps $(NODEPS)
	touch $@

$(VENV)/.installed-test: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps $(NODEPS)
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed

venv-test: $(VENV)/.installed-test

system-deps:
	bash scripts/install-system-deps.sh

lint: venv-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src
	$(BIN)/lint-imports

typecheck: venv-test
	$(BIN)/mypy

security-scan: venv-test
	$(BIN)/bandit -q -r src -lll
	$(BIN)/python scripts/dependency_audit.py  # GATEPOST_OSV_DB=<OSV dump> audits offline

s3-start: venv-test
	bash scripts/seaweedfs.sh start

s3-stop:
	-bash scripts/seaweedfs.sh stop

mqtt-start: system-deps
	bash scripts/mosquitto.sh start

mqtt-stop:
	-bash scripts/mosquitto.sh stop

# axe-core for the browser tests' accessibility checks (docs/accessibility.md): installed
# from npm at build time, exactly as tests/e2e/axe/package-lock.json pins it, and read from
# disk by tests/e2e/accessibility.py; nothing fetches it at run time. npm ci writes
# node_modules/.package-lock.json, so the step is skipped while that is newer than the lock.
AXE_DIR := tests/e2e/axe

$(AXE_DIR)/node_modules/.package-lock.json: $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	npm ci --prefix $(AXE_DIR) --no-audit --no-fund

axe: $(AXE_DIR)/node_modules/.package-lock.json

pytest: venv-test axe
	$(BIN)/python -m pytest -n 2 -q -p no:cacheprovider

test: system-deps venv-test lint typecheck security-scan s3-start mqtt-start
	$(MAKE) pytest; status=$$?; $(MAKE) mqtt-stop; $(MAKE) s3-stop; exit $$status

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache
