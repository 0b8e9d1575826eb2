// End-to-end browser check of the netid verifier's operator page (driven by
// verifier/tests/browser.rs): headless Chromium opens the page, creates an "over 18" request,
// prints `REQUEST <id>`, then waits for the page to show each expected status in turn
// (printing `STATUS <status>`), and for "verified" checks the claims shown and prints
// `VERIFIED <claims text>`. Exit 0 on success, 1 with an `ERROR ...` line on stderr otherwise.
//
//   node browser_verifier.mjs <page-url> [--app <app_id>] [--suites bbs-sha256,groth16]
//                             [--expect rejected,verified] [--timeout-ms 60000]
//
// The app's API key, typed into the page, is read from $NETID_APP_API_KEY (not an argument:
// process lists are public).
//
// Chromium: $NETID_CHROMIUM or /usr/bin/chromium (Debian package `chromium`).
import { chromium } from "playwright-core";

function fail(msg) {
  process.stderr.write(`ERROR ${msg}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
const url = args.shift();
if (!url) fail("usage: node browser_verifier.mjs <page-url> [--app ID] [--suites a,b] [--expect s1,s2] [--timeout-ms N]");
const opt = { app: null, suites: null, expect: ["verified"], timeoutMs: 60000 };
while (args.length) {
  const k = args.shift();
  const v = args.shift();
  if (v === undefined) fail(`missing value for ${k}`);
  if (k === "--app") opt.app = v;
  else if (k === "--suites") opt.suites = v.split(",");
  else if (k === "--expect") opt.expect = v.split(",");
  else if (k === "--timeout-ms") opt.timeoutMs = Number(v);
  else fail(`unknown option ${k}`);
}

const executablePath = process.env.NETID_CHROMIUM || "/usr/bin/chromium";
const deadline = Date.now() + opt.timeoutMs;
const left = () => Math.max(1, deadline - Date.now());

let browser;
try {
  browser = await chromium.launch({ executablePath, headless: true, timeout: 30000 });
} catch (e) {
  fail(`cannot launch ${executablePath}: ${e.message.split("\n")[0]}`);
}

let code = 0;
try {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  // The page must not load anything from elsewhere.
  page.on("request", (r) => {
    if (!r.url().startsWith(new URL(url).origin) && !r.url().startsWith("data:")) problems.push(`external fetch: ${r.url()}`);
  });

  await page.goto(url, { timeout: left() });
  await page.waitForSelector("#app option", { state: "attached", timeout: left() });
  if (opt.app) await page.selectOption("#app", opt.app);
  await page.fill("#api-key", process.env.NETID_APP_API_KEY || "");
  if (opt.suites) {
    for (const box of await page.$$('input[name="suite"]')) {
      const want = opt.suites.includes(await box.getAttribute("value"));
      if ((await box.isChecked()) !== want) await box.click();
    }
  }
  await page.click("#create");
  await page.waitForFunction(() => document.getElementById("request-id").textContent.length === 64, null, { timeout: left() });
  const id = (await page.textContent("#request-id")).trim();
  process.stdout.write(`REQUEST ${id}\n`);

  // The QR code is an image served by the verifier and decodes as an image.
  await page.waitForFunction(() => { const q = document.getElementById("qr"); return q.complete && q.naturalWidth > 0; }, null, { timeout: left() });

  for (const want of opt.expect) {
    try {
      await page.waitForSelector(`#status[data-status="${want}"]`, { timeout: left() });
    } catch {
      const now = await page.getAttribute("#status", "data-status");
      throw new Error(`page did not show status "${want}" in time (it shows "${now}")`);
    }
    const line = (await page.textContent("#status-text")).trim();
    process.stdout.write(`STATUS ${want} ${line}\n`);
  }
  if (opt.expect.includes("verified")) {
    await page.waitForSelector("#claims:not([hidden])", { timeout: left() });
    const claims = (await page.textContent("#claims")).replace(/\s+/g, " ").trim();
    for (const needle of ["over 18", "≥ 18"]) {
      if (!claims.includes(needle)) throw new Error(`claims do not show "${needle}": ${claims}`);
    }
    const appShown = opt.app ?? (await page.inputValue("#app"));
    if (!claims.includes(appShown)) throw new Error(`claims do not name the app ${appShown}: ${claims}`);
    if ((await page.isChecked("#pseudonym")) && !/[0-9a-f]{64,}/.test(claims)) {
      throw new Error(`claims show no pseudonym: ${claims}`);
    }
    process.stdout.write(`VERIFIED ${claims}\n`);
  }
  if (problems.length) throw new Error(problems.join("; "));
} catch (e) {
  process.stderr.write(`ERROR ${e.message.split("\n")[0]}\n`);
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
