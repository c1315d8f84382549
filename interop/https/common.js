'use strict';
// Shared code of the HTTP interop scripts: the functions of ../common.js (connection strings, SAS tokens as the
// Node SDK mints them) plus the deterministic body pattern shared with JavaHttpListener.java.

// n bytes, byte i = (i * 31) mod 251.
function pattern(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31) % 251;
  return b;
}

module.exports = Object.assign({}, require('../common'), { pattern });
