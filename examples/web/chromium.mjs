// Headless Chromium for the web example, shared by its test and the browser
// benchmark: how to start Debian's chromium on this machine (see DEVELOPERS.md), and
// how to open the page and read what it shows.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// No sandbox as root, no GPU, and nothing that calls out to Google's services, which
// the closed network refuses.
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// Chromium with a new, empty profile (so nothing is cached from an earlier start),
// driven by playwright-core (`chromium`, its export). `close()` also removes the profile.
export async function launch(chromium) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "bale-chromium-"));
  const context = await launchProfile(chromium, profile);
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Chromium on the profile in folder `profile`, kept as it is: a returning visitor's
// browser, started again for each visit.
export function launchProfile(chromium, profile) {
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.BALE_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
  });
}

// Chromium as the benchmarks start it once for all their pages (each page then gets a
// new context): playwright-core's `chromium.launch` with the flags above.
export function launchShared(chromium) {
  return chromium.launch({ executablePath: process.env.BALE_CHROMIUM ?? "/usr/bin/chromium", headless: true, args: CHROMIUM_FLAGS });
}

// A page's network as the benchmarks measure it: nothing from the HTTP cache, and
// `link` emulated (latency and throughput as DevTools takes them), or none for
// localhost. Gives the DevTools session, to count what came over it.
export async function measuredNetwork(context, page, link) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  if (link) await cdp.send("Network.emulateNetworkConditions", { offline: false, ...link });
  return cdp;
}

// Opens the page at `url`, waits until it says done or failed, and gives what it shows.
export async function showPage(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('#status:not([data-state="loading"])', { timeout: 300_000 });
  const shown = {
    state: await page.getAttribute("#status", "data-state"),
    status: await page.textContent("#status"),
    downloaded: Number(await page.getAttribute("#status", "data-downloaded")),
    pyodideDownloaded: Number(await page.getAttribute("#status", "data-pyodide")),
    output: await page.textContent("#output"),
    timing: await page.textContent("#timing"),
    errors,
  };
  await page.close();
  return shown;
}
