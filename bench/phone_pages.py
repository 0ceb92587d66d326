"""A person's pages on a phone, timed in a real browser against a running `dangjian serve`.

    python bench/phone_pages.py --base http://127.0.0.1:8739 secretary / /members/ /desk/statistics/

Logs in through the form as USER (demo password unless --password), then opens each path --runs
times at a 375x740 touch viewport with Debian's /usr/bin/chromium (never a downloaded browser)
and prints the status, each wall time until the page's load event (the server's time, the
static files from cache, htmx's first requests started) and the load average. Reads only.
"""

from __future__ import annotations

import argparse
import time

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("user")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--password", default="Dangjian@2026")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(
            base_url=args.base,
            viewport={"width": 375, "height": 740},
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
        )
        page = context.new_page()
        page.goto("/login/")
        page.get_by_label("用户名").fill(args.user)
        page.get_by_label("密码").fill(args.password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/login/" not in url, timeout=120_000)
        for path in args.paths:
            times = []
            status = 0
            for _ in range(args.runs):
                start = time.perf_counter()
                response = page.goto(path, timeout=120_000)
                times.append(f"{time.perf_counter() - start:.2f}")
                status = response.status if response else 0
            with open("/proc/loadavg") as f:
                load = f.read().split()[0]
            print(f"{args.user:10} {path:36} {status} {' '.join(times)} s  load {load}", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
