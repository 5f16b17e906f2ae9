# The suite's two commands. Odoo 19 is found through ODOO_PATH, an 'odoo'
# importable by $(PYTHON), or the documented default /opt/odoo19.
PYTHON ?= python3

.PHONY: run test bench lint check
run:
	$(PYTHON) tools/suite.py run

test:
	$(PYTHON) tools/suite.py test

check:
	$(PYTHON) tools/suite.py check

bench:
	$(PYTHON) tools/suite.py bench

lint:
	$(PYTHON) -m ruff check . && $(PYTHON) -m ruff format --check .
