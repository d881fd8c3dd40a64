// Screenshots of the running Aspire dashboard for docs/observability.md, through headless Chromium's DevTools protocol (the
// dashboard is a Blazor Server app: a plain `chromium --screenshot` captures it before its websocket has rendered anything).
// Usage: [SHOT_HEIGHT=1600] node --experimental-websocket scripts/dashboard-screenshot.mjs <out.png> <url> [waitSeconds] [clickText|aria:label...]
// Start Chromium first: chromium --headless --no-sandbox --disable-gpu --remote-debugging-port=9222 --user-data-dir=$(mktemp -d)
import { writeFileSync } from "node:fs";

const [out, url, waitSeconds = "6", ...clicks] = process.argv.slice(2);
const target = await (await fetch("http://127.0.0.1:9222/json/new?about:blank", { method: "PUT" })).json();
const socket = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve) => socket.addEventListener("open", resolve));
let nextId = 0;
const pending = new Map();
socket.addEventListener("message", (event) => {
  const message = JSON.parse(event.data);
  if (message.id && pending.has(message.id)) {
    pending.get(message.id)(message);
    pending.delete(message.id);
  }
});
const send = (method, params = {}) => new Promise((resolve) => {
  const id = ++nextId;
  pending.set(id, resolve);
  socket.send(JSON.stringify({ id, method, params }));
});
const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

const height = Number(process.env.SHOT_HEIGHT ?? 1000); // taller pages show the metric filters (dimensions) below the chart
await send("Emulation.setDeviceMetricsOverride", { width: 1600, height, deviceScaleFactor: 1, mobile: false });
await send("Page.navigate", { url });
await sleep(Number(waitSeconds));
for (const text of clicks) {
  // Click the first visible leaf element whose text is exactly `text` (a row, a tab, a metric name; else the innermost element
  // with that text, e.g. a menu item with an icon), or, for `aria:<label>`, the last
  // visible element with that aria-label (an icon button: the details panel's "View options" comes after the grid's).
  const expression = text.startsWith("aria:")
    ? `(() => { const all = [...document.querySelectorAll('[aria-label=${JSON.stringify(text.slice(5))}]')].filter(e => e.offsetParent !== null);
        const el = all[all.length - 1]; if (el) { el.click(); return true; } return false; })()`
    : `(() => { const all = [...document.querySelectorAll('*')].filter(e => e.textContent.trim() === ${JSON.stringify(text)} && e.offsetParent !== null);
        const leaf = all.find(e => e.childElementCount === 0);
        const el = leaf ?? all[all.length - 1]; if (el) { el.click(); return true; } return false; })()`;
  await send("Runtime.evaluate", { expression });
  await sleep(3);
}
const shot = await send("Page.captureScreenshot", { format: "png" });
writeFileSync(out, Buffer.from(shot.result.data, "base64"));
await fetch(`http://127.0.0.1:9222/json/close/${target.id}`);
socket.close();
console.log(`${out}: ${url}`);
