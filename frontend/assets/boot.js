// Starts the storefront. A file of its own rather than an inline script, so the edge's
// Content-Security-Policy can allow scripts from the shop's origin only.
import init from "/storefront.js";

init({ module_or_path: "/storefront_bg.wasm" });
