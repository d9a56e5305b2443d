// The browser entry point: a bundle fetched from a URL (every file verified with WebCrypto),
// run with onnxruntime-web (WebAssembly). Import "onnxruntime-web" through an import map or a
// bundler; serve the page over http(s), not file:// (module scripts and fetch need it).
import * as ort from "onnxruntime-web";

import { BundleError } from "./errors.js";
import { MANIFEST, checkManifest, parseJson } from "./manifest.js";
import { Translator as BaseTranslator } from "./translator.js";

async function fetchBytes(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new BundleError(`cannot fetch ${url}: ${error.message}`);
  }
  if (!response.ok) throw new BundleError(`cannot fetch ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Fetch a bundle from the folder URL `base` (ending in "/"): {manifest, files}, every file
 * checked against the manifest's size and sha256. Only the files the manifest lists are fetched.
 * @param {string} base
 */
export async function fetchBundle(base) {
  const root = new URL(base, globalThis.location?.href);
  const where = new URL(MANIFEST, root).href;
  const manifest = checkManifest(parseJson(await fetchBytes(where), where), where);
  const files = new Map();
  await Promise.all(Object.entries(manifest.files).map(async ([name, entry]) => {
    const bytes = await fetchBytes(new URL(name, root).href);
    const digest = hex(await crypto.subtle.digest("SHA-256", bytes));
    if (bytes.length !== entry.bytes || digest !== entry.sha256) {
      throw new BundleError(`checksum mismatch: ${name} at ${root.href} is corrupt or was modified`);
    }
    files.set(name, bytes);
  }));
  return { manifest, files, origin: root.href };
}

export class Translator extends BaseTranslator {
  /**
   * Fetch a bundle (a folder URL), verify every file and create its WebAssembly sessions.
   * @param {string} base
   */
  static async load(base) {
    return BaseTranslator.create(await fetchBundle(base), ort, { executionProviders: ["wasm"] });
  }
}

export { ort };
export { BundleError, InputError } from "./errors.js";
export { splitSentences } from "./sentences.js";
