// netid verifier operator page: create an "over 18" request, show its QR code, poll its status.
// Only the request id, the app's public certificate data and the proven claims are shown.
// The app's API key is typed by the operator and kept in this page's memory only.
"use strict";

const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;
let pollTimer = null;

function text(el, s) { el.textContent = s; }

function showError(msg) {
  const e = $("form-error");
  text(e, msg);
  e.hidden = !msg;
}

async function loadApps() {
  const res = await fetch("/v1/apps", { cache: "no-store" });
  if (!res.ok) throw new Error("GET /v1/apps: " + res.status);
  const apps = await res.json();
  const sel = $("app");
  sel.replaceChildren();
  for (const a of apps) {
    if (!a.policy || !a.policy.age) continue;
    const o = document.createElement("option");
    o.value = a.app_id;
    o.dataset.pseudonym = a.policy.pseudonym ? "1" : "";
    o.dataset.nymSuite = a.policy.pseudonym_suite || "";
    o.textContent = a.name + " (" + a.app_id + ")";
    sel.append(o);
  }
  if (!sel.options.length) {
    showError("没有可请求年龄的应用 / No configured app may ask for an age proof.");
    return;
  }
  $("create").disabled = false;
  syncPseudonym();
}

function syncPseudonym() {
  const o = $("app").selectedOptions[0];
  const allowed = !!(o && o.dataset.pseudonym && o.dataset.nymSuite);
  $("pseudonym").disabled = !allowed;
  if (!allowed) $("pseudonym").checked = false;
  // One pseudonym per person per app: a request for it accepts only the app's one suite.
  $("nym-suite").textContent = allowed
    ? "（仅 " + o.dataset.nymSuite + " / only in " + o.dataset.nymSuite + "）"
    : "";
}

function statusLine(view) {
  switch (view.status) {
    case "pending": return "等待钱包出示… / Waiting for the wallet…";
    case "verified": return "已验证：已满 " + view.claims.age_at_least + " 岁 / Verified: over " + view.claims.age_at_least;
    case "rejected": return "出示被拒绝（" + view.attempts + " 次），请求仍有效 / Presentation rejected (" + view.attempts + "); the request stays open";
    case "expired": return "请求已过期 / Request expired";
    default: return view.status;
  }
}

function showClaims(c) {
  const dl = $("claims");
  dl.replaceChildren();
  const row = (k, v) => {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    dl.append(dt, dd);
  };
  row("应用 / App", c.app_id);
  row("证明方式 / Suite", c.suite);
  row("日期 / On", c.today);
  if (c.age_at_least != null) row("年龄 / Age", "≥ " + c.age_at_least + " (over " + c.age_at_least + ")");
  if (c.assurance_at_least != null) row("实名等级 / Assurance", "≥ " + c.assurance_at_least);
  if (c.not_expired) row("网证未过期 / Credential valid", "✓");
  for (const [k, v] of Object.entries(c.disclosed || {})) row(k, String(v));
  if (c.pseudonym) row("假名 / Pseudonym", c.pseudonym);
  dl.hidden = false;
}

const auth = (key) => ({ authorization: "Bearer " + key });

async function poll(id, key) {
  let view;
  try {
    const res = await fetch("/v1/requests/" + encodeURIComponent(id) + "/result", { cache: "no-store", headers: auth(key) });
    if (res.status === 404) {
      view = { status: "expired" };
    } else if (!res.ok) {
      throw new Error(String(res.status));
    } else {
      view = await res.json();
    }
  } catch (e) {
    pollTimer = setTimeout(() => poll(id, key), POLL_MS * 2);
    return;
  }
  if ($("request-id").textContent !== id) return; // a newer request replaced this one
  $("status").dataset.status = view.status;
  text($("status-text"), statusLine(view));
  if (view.status === "verified") {
    showClaims(view.claims);
    return;
  }
  if (view.status === "expired") return;
  pollTimer = setTimeout(() => poll(id, key), POLL_MS);
}

async function create(ev) {
  ev.preventDefault();
  showError("");
  const nym = $("pseudonym").checked;
  const suites = nym
    ? [$("app").selectedOptions[0].dataset.nymSuite]
    : [...document.querySelectorAll('input[name="suite"]:checked')].map((i) => i.value);
  if (!suites.length) { showError("请至少选择一种证明方式 / Pick at least one suite."); return; }
  const key = $("api-key").value.trim();
  if (!key) { showError("请输入应用的 API 密钥 / Enter the app's API key."); return; }
  const body = { app_id: $("app").value, age_at_least: 18, pseudonym: nym, suites };
  $("create").disabled = true;
  try {
    const res = await fetch("/v1/requests", {
      method: "POST",
      headers: { "content-type": "application/json", ...auth(key) },
      body: JSON.stringify(body),
    });
    const j = await res.json();
    if (!res.ok) { showError((j && j.message) || ("HTTP " + res.status)); return; }
    if (pollTimer) clearTimeout(pollTimer);
    text($("request-id"), j.id);
    text($("expires"), new Date(j.request.expires_at * 1000).toLocaleString());
    $("qr").src = "/v1/requests/" + encodeURIComponent(j.id) + "/qr.svg";
    $("claims").hidden = true;
    $("status").dataset.status = "pending";
    text($("status-text"), statusLine({ status: "pending" }));
    $("request").hidden = false;
    poll(j.id, key);
  } catch (e) {
    showError("创建失败 / Could not create the request: " + e.message);
  } finally {
    $("create").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("create-form").addEventListener("submit", create);
  $("app").addEventListener("change", syncPseudonym);
  loadApps().catch((e) => showError("加载应用失败 / Could not load the apps: " + e.message));
});
