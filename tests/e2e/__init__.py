"""End-to-end tests in real Chromium, driven by Playwright."""
