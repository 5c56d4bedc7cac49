/**
 * @file A tree-sitter grammar for verdict policy files (`*.policy`).
 *
 * verdict's own grammar is `grammar/verdict.pest`; this one reads the same
 * files for editors (highlighting, folding, structure). Items end at a line
 * break, so line breaks are tokens here, not whitespace; a line that opens
 * with `and` goes on with the conditions of the line before, and a value
 * set or `when` block may span lines.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const NAME = /[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*/;
const PATH_KEY = choice(/[A-Za-z0-9_-]+/, seq('"', repeat(choice(/[^"\\\n]/, /\\["\\nt]/)), '"'));

module.exports = grammar({
  name: 'verdict',

  extras: $ => [/[ \t\r]/, $.comment],

  word: $ => $.identifier,

  conflicts: $ => [
    [$.word, $.membership],
    [$._conditions],
  ],

  rules: {
    source_file: $ => repeat(choice($._newline, $._item)),

    _item: $ => choice(
      $.policy_declaration,
      $.fact_declaration,
      $.outcome_declaration,
      $.set_declaration,
      $.otherwise,
      $.first_match,
      $.strict_facts,
      $.priority,
      $.when_block,
      $.rule,
      $.because,
      $.see,
      $.text,
    ),

    _newline: _ => /\n/,

    // `\n  and ` opens a line that goes on with the conditions before it.
    _and_next: _ => token(seq(/\n/, /[ \t]*/, 'and', /[ \t]/)),

    comment: _ => token(seq('#', /[^\n]*/)),

    // A `when` block's `{` ends its line: that tells it from a value set.
    _block_open: _ => token(seq('{', /[ \t]*/, optional(seq('#', /[^\n]*/)), /\r?\n/)),

    policy_declaration: $ => seq('policy', field('name', $.identifier), optional($.string), $._newline),

    otherwise: $ => seq('otherwise', field('decision', $.identifier), optional($.string), $._newline),

    first_match: $ => seq('first', 'match', $._newline),

    strict_facts: $ => seq('strict', 'facts', $._newline),

    priority: $ => seq('priority', $.identifier, repeat1(seq('>', $.identifier)), $._newline),

    fact_declaration: $ => seq(
      'fact',
      field('name', $.identifier),
      ':',
      field('type', $._type),
      // A part of a date-time (`time of day of now in "..."`) has no path.
      optional(seq('at', field('path', $.path))),
      repeat(choice('optional', 'sensitive', seq('default', $._default))),
      optional($.string),
      $._newline,
    ),

    _default: $ => choice($._literal, 'now'),

    _type: $ => choice(
      $.enum_type,
      $.primitive_type,
      $.collection_type,
      $.local_type,
    ),

    primitive_type: _ => choice('bool', 'number', 'string', 'date', 'datetime', 'duration'),

    collection_type: $ => seq('set', 'of', choice($.enum_type, $.primitive_type)),

    local_type: $ => seq(
      choice(seq('time', 'of', 'day'), 'weekday'),
      'of',
      field('of', choice($.identifier, alias('now', $.identifier))),
      'in',
      field('zone', $.string),
    ),

    enum_type: $ => seq(
      '{',
      repeat(choice($.value, ',', '<', $._newline)),
      '}',
    ),

    value: $ => $.identifier,

    // `subscription.channel`, `door."kind of door"`: keys joined by dots.
    path: _ => token(seq(PATH_KEY, repeat(seq('.', PATH_KEY)))),

    outcome_declaration: $ => seq('outcome', field('name', $.identifier), optional($.string), $._newline),

    set_declaration: $ => seq('set', field('name', $.identifier), '=', $.value_set, optional($.string), $._newline),

    value_set: $ => seq(
      '{',
      repeat(choice($._literal, ',', $._newline)),
      '}',
    ),

    // A block's `{` ends its line, as `verdict fmt` writes it; written on
    // one line (`when a { b can }`) it is read too.
    when_block: $ => seq(
      'when',
      $._conditions,
      choice($._block_open, '{'),
      repeat(choice($._newline, $.rule, $.when_block, $.because, $.see, $.text)),
      optional(alias($._rule_body, $.rule)),
      '}',
    ),

    rule: $ => seq($._rule_body, $._newline),

    _rule_body: $ => seq(
      optional(seq(field('name', $.identifier), ':')),
      optional($._conditions),
      field('verdict', $.verdict),
      optional($._conditions),
      repeat(choice($._because_clause, $._see_clause)),
    ),

    _conditions: $ => seq($._condition, repeat(seq(optional($._and_next), $._condition))),

    verdict: $ => choice('can', 'cannot', seq('->', $.outcome)),

    outcome: $ => prec.right(repeat1($.identifier)),

    _condition: $ => choice(
      $.word,
      $.value_set,
      $.not,
      $.group,
      $.comparison,
      $.within,
      $.membership,
      $.has,
      $.affix,
    ),

    word: $ => $.identifier,

    not: $ => prec(1, seq('not', $._condition)),

    group: $ => seq('(', $._conditions, repeat(seq('or', $._conditions)), ')'),

    comparison: $ => seq(
      field('fact', $.identifier),
      field('operator', choice('=', '!=', '<', '<=', '>', '>=', 'before', 'after')),
      field('value', $._literal),
      optional(seq(choice('+', '-'), $.duration)),
    ),

    within: $ => seq(field('fact', $.identifier), 'within', $.duration, 'of', field('other', $.identifier)),

    membership: $ => seq(
      field('fact', $.identifier),
      optional('not'),
      'in',
      choice($.value_set, field('set', $.identifier)),
    ),

    has: $ => seq(
      field('fact', $.identifier),
      'has',
      optional(seq(choice('any', 'all', 'none'), 'of')),
      choice($.value_set, $._literal),
    ),

    affix: $ => seq(field('fact', $.identifier), choice('starts', 'ends'), 'with', $.string),

    because: $ => seq($._because_clause, $._newline),

    see: $ => seq($._see_clause, $._newline),

    _because_clause: $ => seq('because', repeat1($.string)),

    _see_clause: $ => seq('see', $.string, repeat(seq(',', $.string))),

    // A line of strings: a doc string, or a `because` text going on.
    text: $ => seq(repeat1($.string), $._newline),

    _literal: $ => choice(
      $.identifier,
      $.string,
      $.number,
      $.boolean,
      $.datetime,
      $.date,
      $.clock,
      $.duration,
    ),

    boolean: _ => choice('true', 'false'),

    duration: $ => seq($.number, $.unit),

    unit: _ => choice('week', 'weeks', 'day', 'days', 'hour', 'hours', 'minute', 'minutes', 'second', 'seconds'),

    number: _ => /-?\d+(\.\d+)?([eE][+-]?\d+)?/,

    date: _ => /\d{4}-\d{2}-\d{2}/,

    datetime: _ => /\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2})?(\.\d+)?([Zz]|[+-]\d{2}:\d{2})/,

    clock: _ => /\d{2}:\d{2}(:\d{2})?(\.\d+)?/,

    string: _ => token(seq('"', repeat(choice(/[^"\\\n]/, /\\["\\nt]/)), '"')),

    identifier: _ => NAME,
  },
});
