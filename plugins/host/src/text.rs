//! Text that leaves a plugin is capped before the host keeps it: a log line, an error message,
//! a ranking's reason or a plan's note is copied into a fresh, small allocation — never kept
//! as a truncated view of a large one (`String::truncate` keeps the whole capacity).

/// At most `max` bytes of `s` (cut at a character boundary, with `…` when cut), as a new
/// `String` whose allocation is only as large as what is kept.
pub fn capped(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = String::with_capacity(cut + '…'.len_utf8());
    out.push_str(&s[..cut]);
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::capped;

    #[test]
    fn cuts_at_a_character_boundary_into_a_small_allocation() {
        assert_eq!(capped("짧은", 100), "짧은");
        // "가" is three bytes: a cut at 4 falls inside the second character.
        assert_eq!(capped("가나다", 4), "가…");
        let long = "x".repeat(16 << 20);
        let kept = capped(&long, 1024);
        assert_eq!(kept.len(), 1024 + '…'.len_utf8());
        assert!(kept.capacity() < 2048, "the kept text must not hold the original's allocation");
    }
}
