// The verdict extension: starts `verdict lsp` for `.policy` and `.tests`
// files and hands it every feature (diagnostics, hover, completion,
// navigation, rename, formatting, symbols, folding, semantic tokens and
// quick fixes). Syntax colours come from the TextMate grammars in
// `syntaxes/` until the server's semantic tokens arrive.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

async function activate(context) {
  const path = vscode.workspace.getConfiguration("verdict").get("path") || "verdict";
  const server = { command: path, args: ["lsp", "--stdio"] };
  client = new LanguageClient(
    "verdict",
    "verdict",
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: "file", language: "verdict" },
        { scheme: "file", language: "verdict-tests" },
        { scheme: "untitled", language: "verdict" },
      ],
    },
  );
  context.subscriptions.push(
    vscode.commands.registerCommand("verdict.restartServer", async () => {
      await client.restart();
    }),
  );
  await client.start();
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate };
