; Highlights for verdict policy test files.

(comment) @comment

[ "test" "policy" "facts" "now" "expect" "rule" ] @keyword
"error" @keyword

(test name: (string) @string)
(policy_clause policy: (identifier) @module)
(instant) @number
(expect_clause decision: (identifier) @constant)
(expect_clause rule: (identifier) @label)
(location) @string.special
(code) @constant

(pair key: (json_string) @property)
(json_string) @string
(json_number) @number
[ (true) (false) (null) ] @constant.builtin

[ "{" "}" "[" "]" ] @punctuation.bracket
[ ":" "," ] @punctuation.delimiter
