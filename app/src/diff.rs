//! A readable line diff between two versions of a text (longest common subsequence): a
//! postmortem's revisions, a playbook's versions.

use serde::{Deserialize, Serialize};

/// What happened to a line between two revisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Change {
    Same,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DiffLine {
    pub change: Change,
    pub text: String,
}

/// Above this many line pairs the table would be too large: the texts are shown as
/// one removal and one addition instead.
const MAX_CELLS: usize = 4_000_000;

/// Lines of `old` and `new`, each marked kept, removed or added, in reading order.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let line = |change, text: &str| DiffLine {
        change,
        text: text.to_owned(),
    };
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        return a
            .iter()
            .map(|t| line(Change::Removed, t))
            .chain(b.iter().map(|t| line(Change::Added, t)))
            .collect();
    }
    // lcs[i][j] = length of the LCS of a[i..] and b[j..].
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if a[i] == b[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n.max(m));
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(line(Change::Same, a[i]));
            i += 1;
            j += 1;
        } else if lcs[at(i + 1, j)] >= lcs[at(i, j + 1)] {
            out.push(line(Change::Removed, a[i]));
            i += 1;
        } else {
            out.push(line(Change::Added, b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|t| line(Change::Removed, t)));
    out.extend(b[j..].iter().map(|t| line(Change::Added, t)));
    out
}

/// True when the two texts differ in any line.
pub fn has_changes(lines: &[DiffLine]) -> bool {
    lines.iter().any(|l| l.change != Change::Same)
}

#[cfg(test)]
mod tests {
    use super::Change::*;
    use super::*;

    fn marks(old: &str, new: &str) -> Vec<(Change, String)> {
        diff_lines(old, new)
            .into_iter()
            .map(|l| (l.change, l.text))
            .collect()
    }

    #[test]
    fn kept_removed_and_added_lines_in_reading_order() {
        assert_eq!(
            marks("a\nb\nc", "a\nc\nd"),
            [
                (Same, "a".into()),
                (Removed, "b".into()),
                (Same, "c".into()),
                (Added, "d".into())
            ]
        );
    }

    #[test]
    fn identical_and_empty_texts() {
        assert!(!has_changes(&diff_lines("x\ny", "x\ny")));
        assert!(diff_lines("", "").is_empty());
        assert_eq!(marks("", "new"), [(Added, "new".into())]);
        assert_eq!(marks("old", ""), [(Removed, "old".into())]);
    }

    #[test]
    fn a_changed_line_is_a_removal_then_an_addition() {
        assert_eq!(
            marks("The cache expired.", "The cache was flushed."),
            [
                (Removed, "The cache expired.".into()),
                (Added, "The cache was flushed.".into())
            ]
        );
    }
}
