//! "Did you mean": the closest known name to a misspelt one.

/// The closest candidate within a small edit distance, for "did you mean" hints.
pub(crate) fn did_you_mean<'a>(input: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (input.chars().count() / 3).max(2);
    candidates
        .map(|candidate| {
            (strsim::levenshtein(&input.to_ascii_lowercase(), &candidate.to_ascii_lowercase()), candidate)
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}
