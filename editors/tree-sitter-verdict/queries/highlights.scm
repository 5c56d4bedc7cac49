; Highlights for verdict policy files.

(comment) @comment
(string) @string
(number) @number
(date) @number
(datetime) @number
(clock) @number
(unit) @number
(boolean) @constant.builtin

[
  "policy" "otherwise" "first" "match" "strict" "facts" "priority" "when" "because" "see"
] @keyword

[ "can" "cannot" ] @keyword.return

[ "fact" "outcome" "set" ] @keyword.storage

[
  "at" "optional" "default" "sensitive" "of" "in" "has" "any" "all" "none"
  "not" "or" "within" "starts" "ends" "with" "before" "after" "time" "day" "weekday" "now"
] @keyword.operator

(primitive_type) @type.builtin

[ "->" "=" "!=" "<" "<=" ">" ">=" "+" "-" ] @operator
[ "{" "}" "(" ")" ] @punctuation.bracket
[ ":" "," ] @punctuation.delimiter

(policy_declaration name: (identifier) @module)
(fact_declaration name: (identifier) @property)
(fact_declaration path: (path) @string.special)
(outcome_declaration name: (identifier) @function)
(set_declaration name: (identifier) @type)
(rule name: (identifier) @label)
(otherwise decision: (identifier) @constant)
(local_type of: (identifier) @property)
(value (identifier) @constant)
(outcome (identifier) @function)
(comparison fact: (identifier) @property)
(within fact: (identifier) @property other: (identifier) @property)
(membership fact: (identifier) @property)
(membership set: (identifier) @type)
(has fact: (identifier) @property)
(affix fact: (identifier) @property)
(word (identifier) @variable)
