// Parses AsyncAPI documents with the official parser (@asyncapi/parser) and prints what it found
// in each as one JSON line: {"parsed": bool, "diagnostics": [{severity, code, message, path}]}.
// Usage: node validate.cjs FILE... Exit 0 once all are parsed (whatever was found), 2 on bad
// usage, 1 on a failure of the parser itself; the tests judge the diagnostics.
'use strict';

const fs = require('node:fs');
const { Parser } = require('@asyncapi/parser');

const SEVERITY = ['error', 'warning', 'information', 'hint'];

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node validate.cjs FILE...');
    process.exit(2);
  }
  const parser = new Parser();
  for (const file of files) {
    const { document, diagnostics } = await parser.parse(fs.readFileSync(file, 'utf8'));
    const found = diagnostics.map((d) => ({
      severity: SEVERITY[d.severity] ?? String(d.severity),
      code: String(d.code),
      message: d.message,
      path: d.path.join('/'),
    }));
    process.stdout.write(`${JSON.stringify({ parsed: document !== undefined, diagnostics: found })}\n`);
  }
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
