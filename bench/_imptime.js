const t0 = performance.now();
require('tsx/cjs/api').register();
const t1 = performance.now();
require(process.argv[2]);
const t2 = performance.now();
console.log(`tsx ${Math.round(t1-t0)} ms, import ${process.argv[2].split('/').pop()} ${Math.round(t2-t1)} ms; uptime ${Math.round(process.uptime()*1000)} ms`);
