"""Browser tests: Voilà serves a notebook, Playwright drives the system Chromium."""
