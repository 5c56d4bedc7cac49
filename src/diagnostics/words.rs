//! Words for diagnostics: "did you mean ...?" (the closest known name to a
//! word that was not found), lists in English ("a, b or c"), and
//! serde_json's complaints without their position.

/// The candidate closest to `word`, if any is close enough to be a likely typo
/// (same letters in another case, or a small edit away); of several equally
/// close, the first in text order.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // A long text is no typo of a name, and comparing it would take long.
    if word.chars().count() > 64 {
        return None;
    }
    let lower = lowercase(word);
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let candidate_lower = lowercase(candidate);
        let score = if candidate_lower == lower {
            2.0
        } else {
            strsim::jaro_winkler(&lower, &candidate_lower)
        };
        // Of candidates equally close, the first in text order: the same
        // one whatever order they come in (some come from hash maps).
        let better = |(s, c): (f64, &str)| score > s || (score == s && candidate < c);
        if score >= 0.8 && best.is_none_or(better) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// `text` in lower case, copied only when it has an upper-case letter.
fn lowercase(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_uppercase) {
        std::borrow::Cow::Owned(text.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `did you mean `x`?`, or nothing.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// `a, b or c`.
pub(crate) fn join_or<S: AsRef<str>>(items: &[S]) -> String {
    join(items, "or")
}

/// `a, b and c`.
pub(crate) fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    join(items, "and")
}

fn join<S: AsRef<str>>(items: &[S], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} {conjunction} {}", init.join(", "), last.as_ref())
        }
    }
}

/// serde_json's message without its "at line L column C": a label, or the
/// place of the text, says where better.
pub(crate) fn json_error(err: &serde_json::Error) -> String {
    let message = err.to_string();
    message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_string()
}

/// `10000` as `10,000`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
