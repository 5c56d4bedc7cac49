// Tokenizes every policy and test file of the repository that is meant to
// be valid with the TextMate grammars, as VS Code does (vscode-textmate on
// the Oniguruma engine), and fails on any character the grammars mark
// `invalid.illegal` (a character no rule of the language accounts for).
// Files written to show a mistake (under `err/`, `mistakes/`, `syntax/`
// folders) are left out. Run with `npm test` in this folder.
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.resolve(__dirname, "..", "..", "..");
const grammars = {
  "source.verdict": path.join(__dirname, "..", "syntaxes", "verdict.tmLanguage.json"),
  "source.verdict-tests": path.join(__dirname, "..", "syntaxes", "verdict-tests.tmLanguage.json"),
};
const skipped = new Set(["err", "mistakes", "syntax", "target", "node_modules", "hostile"]);

function files(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skipped.has(entry.name)) files(full, out);
    } else if (entry.name.endsWith(".policy") || entry.name.endsWith(".tests")) {
      out.push(full);
    }
  }
  return out;
}

async function main() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      const file = grammars[scope];
      return file ? vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file) : null;
    },
  });
  const policy = await registry.loadGrammar("source.verdict");
  const tests = await registry.loadGrammar("source.verdict-tests");
  const all = [
    ...files(path.join(root, "policies"), []),
    ...files(path.join(root, "tests", "fixtures"), []),
  ];
  let failures = 0;
  let tokens = 0;
  for (const file of all) {
    const grammar = file.endsWith(".tests") ? tests : policy;
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    let state = vsctm.INITIAL;
    lines.forEach((line, n) => {
      const result = grammar.tokenizeLine(line, state);
      for (const token of result.tokens) {
        tokens += 1;
        if (token.scopes.some((s) => s.startsWith("invalid"))) {
          failures += 1;
          const text = line.slice(token.startIndex, token.endIndex);
          console.error(`${path.relative(root, file)}:${n + 1}:${token.startIndex + 1}: \`${text}\` is ${token.scopes.join(" ")}`);
        }
      }
      state = result.ruleStack;
    });
  }
  console.log(`${all.length} files, ${tokens} tokens, ${failures} invalid`);
  if (all.length < 40) {
    console.error("expected the repository's policy and test files");
    process.exit(1);
  }
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
