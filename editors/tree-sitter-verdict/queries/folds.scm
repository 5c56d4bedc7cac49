(when_block) @fold
(enum_type) @fold
(value_set) @fold
