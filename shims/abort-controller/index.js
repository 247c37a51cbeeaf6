'use strict';
// Node's built-in AbortController and AbortSignal, exported as the abort-controller polyfill (v3) exports them.
// See README.md beside this file for why this replaces the polyfill.
exports.AbortController = globalThis.AbortController;
exports.AbortSignal = globalThis.AbortSignal;
exports.default = globalThis.AbortController;
