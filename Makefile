# The suite's two commands. Odoo 19 is found through ODOO_PATH, an 'odoo'
# importable by $(PYTHON), or the documented default /opt/odoo19.
PYTHON ?= python3

.PHONY: run test test-odoo bench bench-stock chaos lint check dist readme
run:
	$(PYTHON) tools/suite.py run

test:
	$(PYTHON) tools/suite.py test

# The same tests through Odoo's own runner (odoo-bin --test-enable).
test-odoo:
	$(PYTHON) tools/suite.py odoo-tests

check:
	$(PYTHON) tools/suite.py check

# One wheel per addon into dist/ (whool, OCA's build backend): pip install
# them beside Odoo 19 and the addons are in Apps, no addons path to edit.
dist:
	$(PYTHON) tools/suite.py dist

# Each addon's README.rst and Apps page (static/description/index.html) from
# its readme/ fragments, with OCA's oca-gen-addon-readme (tools/readme.py).
readme:
	$(PYTHON) tools/readme.py

bench:
	$(PYTHON) tools/suite.py bench

# Only the full stock sync benchmark (bulk read beside the paged read).
bench-stock:
	$(PYTHON) tools/suite.py bench-stock

# Orders through the live pipeline while workers, the job runner, the server
# and PostgreSQL are killed (tools/chaos.py; CHAOS_ORDERS, CHAOS_SEED).
chaos:
	$(PYTHON) tools/suite.py chaos

# OCA's checks (.pre-commit-config.yaml's hooks, run from pip: tools/lint.py);
# pip install -r requirements-lint.txt first.
lint:
	$(PYTHON) tools/lint.py
