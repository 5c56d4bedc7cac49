//! The multichannel pack, built into the binary so that `verdict eval` works
//! without `--policies`. The names match the files in the repository, so a
//! diagnostic or a rule location points at a file a user can open.

pub const FILES: &[(&str, &str)] = &[
    (
        "policies/multichannel/channels.policy",
        include_str!("../policies/multichannel/channels.policy"),
    ),
    (
        "policies/multichannel/indirect.policy",
        include_str!("../policies/multichannel/indirect.policy"),
    ),
    (
        "policies/multichannel/multichannel.policy",
        include_str!("../policies/multichannel/multichannel.policy"),
    ),
];

/// The pack's tests, for `verdict test` without a path.
pub const TESTS: &[(&str, &str)] = &[(
    "policies/multichannel/multichannel.tests",
    include_str!("../policies/multichannel/multichannel.tests"),
)];
