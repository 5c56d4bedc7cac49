/**
 * @file A tree-sitter grammar for verdict policy test files (`*.tests`).
 *
 * verdict's own grammar is `grammar/tests.pest`; this one reads the same
 * files for editors. A file is a list of tests, each a name and its
 * clauses: `policy`, `facts` (a JSON object, which may span lines), `now`
 * and `expect`. Each clause opens with its keyword, so line breaks are
 * whitespace here; verdict itself wants each clause on a line of its own.
 * The facts are parsed as JSON, so that an editor colours their keys and
 * values and folds them.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

module.exports = grammar({
  name: 'verdict_tests',

  extras: $ => [/\s/, $.comment],

  word: $ => $.identifier,

  rules: {
    source_file: $ => repeat($.test),

    comment: _ => token(seq('#', /[^\n]*/)),

    test: $ => seq('test', field('name', $.string), repeat1($._clause)),

    _clause: $ => choice($.policy_clause, $.facts_clause, $.now_clause, $.expect_clause),

    // `policy NAME`: which policy of the set the test is about.
    policy_clause: $ => seq('policy', field('policy', $.identifier)),

    // `facts {...}`: the facts, as JSON.
    facts_clause: $ => seq('facts', field('facts', $.object)),

    // `now 2026-12-07T10:00:00Z`: the evaluation time of the test.
    now_clause: $ => seq('now', field('time', $.instant)),

    instant: _ => /\d[^\s#]*/,

    // `expect DECISION [rule FILE:LINE | rule NAME]` or `expect error CODE`.
    expect_clause: $ => seq('expect', choice($._expect_error, $._expect_decision)),

    _expect_error: $ => seq('error', field('error', $.code)),

    _expect_decision: $ => seq(
      field('decision', $.identifier),
      optional(seq('rule', field('rule', choice($.location, $.identifier)))),
    ),

    // `channels.policy:6`, or the whole path before it.
    location: _ => /[^\s:#"]+:\d+/,

    code: _ => /verdict(::[A-Za-z0-9_]+)+/,

    string: _ => token(seq('"', repeat(choice(/[^"\\\n]/, /\\["\\nt]/)), '"')),

    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*/,

    // JSON, as RFC 8259 has it.
    _json_value: $ => choice(
      $.object,
      $.array,
      $.json_string,
      $.json_number,
      $.true,
      $.false,
      $.null,
    ),

    object: $ => seq('{', optional(seq($.pair, repeat(seq(',', $.pair)))), '}'),

    pair: $ => seq(field('key', $.json_string), ':', field('value', $._json_value)),

    array: $ => seq('[', optional(seq($._json_value, repeat(seq(',', $._json_value)))), ']'),

    json_string: _ => token(seq(
      '"',
      repeat(choice(/[^"\\\x00-\x1f]/, /\\(["\\\/bfnrt]|u[0-9A-Fa-f]{4})/)),
      '"',
    )),

    json_number: _ => /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/,

    true: _ => 'true',

    false: _ => 'false',

    null: _ => 'null',
  },
});
