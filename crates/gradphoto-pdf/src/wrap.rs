//! Line breaking: text in, lines that fit a width out. Pure, and tested with a fake font.
//!
//! Chinese has no spaces, so a line may break before or after any ideograph; Latin words
//! and numbers (student numbers!) break only at spaces, unless a word alone is wider than
//! the line. A little of the Chinese rule against stranded punctuation (禁则) is kept: a line
//! never starts with a closing mark such as "，" or "）", and never ends with an opening
//! one such as "（" or "《", because a sheet that reads "，签名" looks broken to a student.

/// Widths of characters in the one font, in ems (1.0 = the font size).
pub(crate) trait Measure {
    /// Advance width of `c` in ems.
    fn advance(&self, c: char) -> f32;

    /// Width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }
}

/// Widths are sums of floats: allow a hair of rounding before calling a line too long.
const EPSILON: f32 = 0.01;

/// U+3000, as wide as an ideograph.
const IDEOGRAPHIC_SPACE: char = '\u{3000}';

/// Ellipsis that marks a clipped cell.
const ELLIPSIS: char = '…';

/// True for characters after or before which a line may break with no space: CJK
/// ideographs, kana, hangul, and CJK and full-width punctuation.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x2E80..=0x2FDF      // radicals
        | 0x3000..=0x30FF    // CJK symbols and punctuation, hiragana, katakana
        | 0x3100..=0x31FF    // bopomofo, kanbun, katakana extensions
        | 0x3400..=0x4DBF    // extension A
        | 0x4E00..=0x9FFF    // unified ideographs
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0xFE30..=0xFE4F    // compatibility forms
        | 0xFF00..=0xFFEF    // full-width forms
        | 0x20000..=0x3FFFF) // extensions B and later
}

/// Marks that must not start a line.
fn closes(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '）'
            | '》'
            | '」'
            | '』'
            | '】'
            | '”'
            | '’'
            | '〉'
            | '…'
            | ','
            | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | ')'
            | ']'
            | '%'
    )
}

/// Marks that must not end a line.
fn opens(c: char) -> bool {
    matches!(
        c,
        '（' | '《' | '「' | '『' | '【' | '“' | '‘' | '〈' | '(' | '['
    )
}

/// A piece of text that is never broken inside (unless it alone is wider than a line).
#[derive(Debug, PartialEq)]
enum Token {
    /// One or more spaces: a break opportunity, dropped at the end of a line.
    Space,
    /// A Latin word, or one ideograph with its clinging punctuation.
    Word(String),
}

/// Splits one line of text (no `\n`) into words and spaces.
fn tokenize(line: &str) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::new();
    // The character before, within the current run of non-spaces.
    let mut prev: Option<char> = None;
    for c in line.chars() {
        // The ideographic space is kept as a glyph: "　　" indents a Chinese paragraph.
        if c.is_whitespace() && c != IDEOGRAPHIC_SPACE {
            if !matches!(tokens.last(), Some(Token::Space) | None) {
                tokens.push(Token::Space);
            }
            prev = None;
            continue;
        }
        // Latin letters and digits stay together; an opening mark clings to what follows;
        // a closing mark clings to what precedes.
        let glue = prev.is_some_and(|p| opens(p) || (!is_cjk(p) && !is_cjk(c))) || closes(c);
        match tokens.last_mut() {
            Some(Token::Word(word)) if glue && prev.is_some() => word.push(c),
            _ => tokens.push(Token::Word(c.to_string())),
        }
        prev = Some(c);
    }
    tokens
}

/// Breaks `text` into lines no wider than `max_width` at `size` points. `\n` forces a
/// break; an empty text gives one empty line, so a blank cell still has a row.
pub(crate) fn wrap(text: &str, max_width: f32, size: f32, m: &impl Measure) -> Vec<String> {
    let mut lines = Vec::new();
    for hard in text.split('\n') {
        wrap_line(hard, max_width, size, m, &mut lines);
    }
    lines
}

fn wrap_line(text: &str, max_width: f32, size: f32, m: &impl Measure, out: &mut Vec<String>) {
    let space = m.width(" ", size);
    let mut line = String::new();
    let mut width = 0.0;
    let mut pending_space = false;
    for token in tokenize(text) {
        let word = match token {
            Token::Space => {
                pending_space = !line.is_empty();
                continue;
            }
            Token::Word(word) => word,
        };
        let word_width = m.width(&word, size);
        let gap = if pending_space { space } else { 0.0 };
        pending_space = false;
        if width + gap + word_width <= max_width + EPSILON {
            if gap > 0.0 {
                line.push(' ');
            }
            line.push_str(&word);
            width += gap + word_width;
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
            width = 0.0;
        }
        if word_width <= max_width + EPSILON {
            line = word;
            width = word_width;
            continue;
        }
        // A word wider than the whole line: break it wherever it must.
        for c in word.chars() {
            let w = m.advance(c) * size;
            if width + w > max_width + EPSILON && !line.is_empty() {
                out.push(std::mem::take(&mut line));
                width = 0.0;
            }
            line.push(c);
            width += w;
        }
    }
    out.push(line);
}

/// `text` on one line no wider than `max_width`: whole if it fits, else cut and ended
/// with "…" (nothing at all if not even the ellipsis fits).
pub(crate) fn clip(text: &str, max_width: f32, size: f32, m: &impl Measure) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    if m.width(&one_line, size) <= max_width + EPSILON {
        return one_line;
    }
    let room = max_width - m.advance(ELLIPSIS) * size;
    if room < -EPSILON {
        return String::new();
    }
    let mut out = String::new();
    let mut width = 0.0;
    for c in one_line.chars() {
        let w = m.advance(c) * size;
        if width + w > room + EPSILON {
            break;
        }
        out.push(c);
        width += w;
    }
    out.truncate(out.trim_end().len());
    out.push(ELLIPSIS);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fake font: ideographs 1 em, everything else half an em.
    pub(crate) struct Mono;

    impl Measure for Mono {
        fn advance(&self, c: char) -> f32 {
            if is_cjk(c) { 1.0 } else { 0.5 }
        }
    }

    fn wrap10(text: &str, ems: f32) -> Vec<String> {
        wrap(text, ems * 10.0, 10.0, &Mono)
    }

    #[test]
    fn chinese_breaks_at_any_character() {
        assert_eq!(
            wrap10("全国高校毕业生信息采集", 4.0),
            ["全国高校", "毕业生信", "息采集"]
        );
    }

    #[test]
    fn latin_breaks_at_spaces_and_drops_them() {
        // "print the sheet" = 5 + 3 + 5 half-ems.
        assert_eq!(
            wrap10("print the sheet now", 5.0),
            ["print the", "sheet now"]
        );
        assert_eq!(wrap10("  lead   and trail  ", 20.0), ["lead and trail"]);
    }

    #[test]
    fn student_numbers_are_not_split() {
        // 学号 2 em, space 0.5, the number 6 em: it moves to the next line whole.
        assert_eq!(wrap10("学号 202104011234", 7.0), ["学号", "202104011234"]);
    }

    #[test]
    fn mixed_text_breaks_between_ideograph_and_number() {
        assert_eq!(wrap10("共2024人", 2.5), ["共", "2024", "人"]);
        assert_eq!(wrap10("共2024人", 3.5), ["共2024", "人"]);
    }

    #[test]
    fn a_word_wider_than_the_line_breaks_where_it_must() {
        assert_eq!(wrap10("abcdefghij", 2.0), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        // Without the rule the line would break before "，".
        assert_eq!(wrap10("签名，确认", 2.0), ["签", "名，", "确认"]);
        assert_eq!(wrap10("《名单》", 2.0), ["《名", "单》"]);
    }

    #[test]
    fn ideographic_spaces_indent_a_paragraph() {
        assert_eq!(
            wrap10("\u{3000}\u{3000}各学院：", 4.0),
            ["\u{3000}\u{3000}各学", "院："]
        );
    }

    #[test]
    fn newlines_force_breaks_and_blank_text_keeps_a_line() {
        assert_eq!(wrap10("一\n\n二", 10.0), ["一", "", "二"]);
        assert_eq!(wrap10("", 10.0), [""]);
    }

    #[test]
    fn clip_keeps_text_that_fits_and_cuts_what_does_not() {
        assert_eq!(clip("计算机学院", 5.0 * 10.0, 10.0, &Mono), "计算机学院");
        assert_eq!(
            clip("计算机科学与技术学院", 5.0 * 10.0, 10.0, &Mono),
            "计算机科…"
        );
        assert_eq!(clip("a\nb", 10.0 * 10.0, 10.0, &Mono), "a b");
        assert_eq!(clip("很长的名字", 0.5 * 10.0, 10.0, &Mono), "…");
        assert_eq!(clip("很长的名字", 0.4 * 10.0, 10.0, &Mono), "");
    }

    #[test]
    fn every_line_fits() {
        let text = "国家要求：毕业生须本人到场拍摄 (bring your ID card and collection code), \
                    不得代拍。Photos taken by 2024-06-01 are sent to the registry.";
        for width in [3.0_f32, 5.0, 8.0, 13.0] {
            for line in wrap10(text, width) {
                assert!(
                    Mono.width(&line, 10.0) <= width * 10.0 + EPSILON,
                    "{line:?}"
                );
            }
        }
    }
}
