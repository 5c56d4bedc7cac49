(test) @fold
(object) @fold
(array) @fold
