# Mes Solutions Plus — what a newcomer types: `make run`, `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test bench load install install-dev migrate demo worker clean

# Re-install when pyproject.toml changes; the stamp files record the last install.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=24"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) portal demo

run: demo
	@echo ""
	@echo "Mes Solutions Plus : http://$${HOST:-127.0.0.1}:$${PORT:-5000}"
	@echo "Comptes de démonstration (mot de passe MesSolutions+2026) :"
	@echo "  courtier@cabinet-demo.fr       courtier, Cabinet Démo Courtage"
	@echo "  courtier@exemple-sud.fr        courtier, Courtage Exemple Sud"
	@echo "  gestion@mes-solutions-plus.fr  service de gestion"
	@echo "  admin@mes-solutions-plus.fr    administrateur"
	@echo "Messages envoyés (boîte locale) : http://$${HOST:-127.0.0.1}:$${PORT:-5000}/dev/messages"
	@echo ""
	$(FLASK) portal serve

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Performance figures (ratios measured in the same run), one JSON line each.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# The broker journey under load against gunicorn on loopback (LOAD_ARGS: --database-url, --users, --seconds).
load: install
	$(BIN)/python -m bench.journey $(LOAD_ARGS)

worker: install
	$(FLASK) worker

clean:
	rm -rf $(VENV) .pytest_cache
