const Module = require('module');
const orig = Module._load;
const times = [];
let depth = 0;
Module._load = function (request, parent, isMain) {
  const t = performance.now(); depth++;
  try { return orig.apply(this, arguments); } finally { depth--; const d = performance.now() - t; if (d > 25 && depth < 6) times.push([depth, request, Math.round(d)]); }
};
require('tsx/cjs/api').register();
require(process.argv[2]);
for (const [d, r, ms] of times) console.log(`${'  '.repeat(d)}${r} ${ms}`);
console.log('uptime', Math.round(process.uptime() * 1000));
