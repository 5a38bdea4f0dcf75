"""A shopper in a real browser: headless Chromium driven over WebDriver (chromedriver), so the
storefront's own telemetry (its spans, its Web Vitals) is what a real page sends.

    shopper.py journey SHOP_URL
        loads the home page, opens the first product (a route change), adds it to the cart,
        writes a review, opens the cart, and leaves the page (which sends the Web Vitals);
    shopper.py failing-add SHOP_URL COMMAND
        opens the first product, runs COMMAND (which makes something fail), adds to the cart,
        waits for the page to say it could not, and leaves the page;
    shopper.py screenshot URL PATH LOCATOR
        saves a screenshot of URL once LOCATOR (a CSS selector, or an XPath after `xpath:`)
        finds an element that shows the page's data has been drawn.

With SHOPPER_UNTIL set to a shell command, the browser stays open after the action until
that command succeeds (within 30 s): a page's last telemetry leaves as it is left, and a
browser shut at once can drop what it had not sent yet.

Only the standard library: WebDriver is JSON over HTTP.
"""

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
PATIENCE = 30


class Browser:
    """One headless Chromium with a profile of its own, through a chromedriver of its own."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="localmart-shopper-")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.driver = subprocess.Popen(
            ["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        self.until("chromedriver to answer", lambda: self.call("GET", "/status")["ready"])
        chromium = shutil.which("chromium") or "chromium"
        answer = self.call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,900", f"--user-data-dir={self.profile}"]},
        }}})
        self.session = f"/session/{answer['sessionId']}"

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return json.load(answer)["value"]
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.read().decode(errors='replace')}") from None

    def until(self, what, check):
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                found = check()
                if found:
                    return found
            except (RuntimeError, OSError):
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"shopper: gave up waiting for {what}")
            time.sleep(0.2)

    def goto(self, url):
        self.call("POST", f"{self.session}/url", {"url": url})

    def find(self, locator):
        """The first element `locator` finds: a CSS selector, or an XPath after `xpath:`."""
        using, value = ("xpath", locator[6:]) if locator.startswith("xpath:") else ("css selector", locator)
        def found():
            elements = self.call("POST", f"{self.session}/elements", {"using": using, "value": value})
            return elements[0][ELEMENT] if elements else None
        return self.until(f"'{locator}' on the page", found)

    def click(self, css):
        self.call("POST", f"{self.session}/element/{self.find(css)}/click", {})

    def type(self, css, text):
        self.call("POST", f"{self.session}/element/{self.find(css)}/value", {"text": text})

    def screenshot(self, path):
        png = base64.b64decode(self.call("GET", f"{self.session}/screenshot"))
        with open(path, "wb") as file:
            file.write(png)

    def quit(self):
        try:
            self.call("DELETE", self.session)
        finally:
            self.driver.terminate()
            self.driver.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


def open_first_product(browser, shop):
    browser.goto(shop + "/")
    browser.click(".product-card .card-link")
    browser.find(".buy-box [data-testid=add-to-cart]")


def journey(browser, shop):
    open_first_product(browser, shop)
    browser.click("[data-testid=add-to-cart]")
    browser.find("[data-testid=added]")
    browser.click(".star-picker input[value='4']")
    # A reviewer of their own: the shop takes one review per author and product.
    browser.type("#review-author", f"Tracy {secrets.token_hex(3)}")
    browser.type("#review-title", "Followed in the browser")
    browser.type("#review-body", "From the click to the database, one trace.")
    browser.click(".review-form button[type=submit]")
    browser.find("[data-testid=review-sent]")
    browser.click(".cart-link")
    browser.find("[data-testid=cart-line]")
    # Leaving the page hides it: the storefront sends its Web Vitals and its last spans.
    browser.goto("about:blank")


def failing_add(browser, shop, command):
    open_first_product(browser, shop)
    subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL)
    browser.click("[data-testid=add-to-cart]")
    browser.find(".buy-box [role=alert], [data-testid=cart-unavailable]")
    browser.goto("about:blank")


def screenshot(browser, url, path, locator):
    browser.goto(url)
    browser.find(locator)
    browser.screenshot(path)


def main(action, *args):
    actions = {"journey": journey, "failing-add": failing_add, "screenshot": screenshot}
    if action not in actions:
        raise SystemExit(__doc__)
    browser = Browser()
    try:
        actions[action](browser, *args)
        until = os.environ.get("SHOPPER_UNTIL")
        if until:
            browser.until(f"`{until}`", lambda: subprocess.run(
                ["bash", "-c", until], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0)
    finally:
        browser.quit()


if __name__ == "__main__":
    main(*sys.argv[1:])
