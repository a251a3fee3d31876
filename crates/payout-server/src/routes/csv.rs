//! CSV for spreadsheets (the records export and the daily statement): UTF-8 with a BOM so
//! spreadsheet apps read Chinese text, and cells that cannot run as formulas.

use std::borrow::Cow;

/// What a CSV download starts with, so spreadsheet apps read the file as UTF-8.
pub(crate) const BOM: &str = "\u{feff}";

/// One CSV record, safe to open in a spreadsheet: control characters (NUL, escape, a stray tab or
/// line break in a note) become spaces, and a cell a spreadsheet would run as a formula — one that
/// starts, after any spaces, with `=`, `+`, `-` or `@`, or started with a tab or carriage return —
/// gets a leading apostrophe (OWASP "CSV injection").
pub(crate) fn csv_line(cells: &[&str]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    write_safe(&mut writer, cells);
    writer.into_inner().unwrap_or_default()
}

/// Writes one line of cells, made safe as [`csv_line`] says, to a writer that many lines share (a
/// writer per line costs its own 8 KB buffer: a million of them dominated the export).
pub(crate) fn write_safe(writer: &mut csv::Writer<Vec<u8>>, cells: &[&str]) {
    // Writing to memory cannot fail.
    let _ = writer.write_record(cells.iter().map(|c| Cell(csv_cell(c))));
}

/// A cell as the csv crate takes it (bytes).
struct Cell<'a>(Cow<'a, str>);

impl AsRef<[u8]> for Cell<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The cell as it is, unless it needs cleaning (no copy for the usual cell).
fn csv_cell(cell: &str) -> Cow<'_, str> {
    let formula = |text: &str| {
        text.trim_start().starts_with(['=', '+', '-', '@', '\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}'])
    };
    if !cell.contains(char::is_control) && !formula(cell) {
        return Cow::Borrowed(cell);
    }
    let clean: String = cell.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if cell.starts_with(['\t', '\r']) || formula(&clean) {
        Cow::Owned(format!("'{clean}"))
    } else {
        Cow::Owned(clean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formula_safe() {
        assert_eq!(String::from_utf8(csv_line(&["a,b", "=1+1", "12.50"])).unwrap(), "\"a,b\",'=1+1,12.50\n");
    }

    #[test]
    fn csv_cells_carry_no_control_characters_and_no_hidden_formula() {
        assert_eq!(csv_cell("a\0b\x1bc\u{7f}d\ne"), "a b c d e");
        assert_eq!(csv_cell("\t=1+1"), "' =1+1", "a leading tab does not hide a formula");
        assert_eq!(csv_cell("\r@SUM(A1)"), "' @SUM(A1)");
        assert_eq!(csv_cell("  -2+3"), "'  -2+3");
        assert_eq!(csv_cell("＝1+1"), "'＝1+1", "full-width equals sign");
        assert_eq!(csv_cell("退货运费 12.50"), "退货运费 12.50");
    }
}
