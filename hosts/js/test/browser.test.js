// The demo page in headless Chromium: the bundle fetched from 127.0.0.1, verified, and run by
// onnxruntime-web; "I am a student." must come out French, with its attention drawn.
// Chromium: $CHROMIUM, else /usr/bin/chromium (Debian's `chromium`). Without one the test is
// skipped, unless S2S_REQUIRE_BROWSER=1 (CI), where it fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { serve } from "../demo/serve.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const available = existsSync(executablePath);
const required = process.env.S2S_REQUIRE_BROWSER === "1";

test("the demo page translates offline in headless Chromium", { skip: !available && !required && `no ${executablePath}` },
  async () => {
    assert.ok(available, `no Chromium at ${executablePath} (set CHROMIUM)`);
    const { chromium } = await import("playwright-core");
    const server = await serve(root);
    const origin = `http://127.0.0.1:${server.address().port}`;
    const browser = await chromium.launch({
      executablePath,
      // Keep the browser off the network: only the page's own server is ever contacted.
      args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability", "--no-first-run",
        "--disable-client-side-phishing-detection", "--metrics-recording-only", "--no-pings"],
    });
    try {
      const page = await browser.newPage();
      const requested = [];
      page.on("request", (request) => requested.push(request.url()));
      await page.goto(`${origin}/hosts/js/demo/index.html`);
      await page.waitForSelector("body[data-state=ready], body[data-state=error]", { timeout: 120000 });
      assert.equal(await page.getAttribute("body", "data-state"), "ready", await page.textContent("#status"));
      await page.fill("#source", "I am a student.");
      await page.click("#translate");
      await page.waitForSelector("body[data-state=done], body[data-state=error]", { timeout: 60000 });
      const french = await page.textContent("#output");
      assert.match(french, /étudiant/);
      // The heat-map: a canvas sized for the tokens, with dark cells where attention is high.
      const dark = await page.evaluate(() => {
        const canvas = document.getElementById("attention");
        const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        let count = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] < 64) count++;
        return { width: canvas.width, height: canvas.height, count };
      });
      assert.ok(dark.width > 60 && dark.height > 60 && dark.count > 100, JSON.stringify(dark));
      const screenshot = path.join(process.env.S2S_SCREENSHOT_DIR ?? os.tmpdir(), "s2s-demo.png");
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`# screenshot: ${screenshot}`);
      assert.deepEqual(requested.filter((url) => !url.startsWith(origin)), []);
    } finally {
      await browser.close();
      server.close();
    }
  });
