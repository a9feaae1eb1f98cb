//! A session's roster (名单): the students a school expects, imported from a CSV, so that the desk
//! shows who has not submitted yet and the export can name each photo by the student's number.
//!
//! The CSV has a header row; its columns are found by name, in Chinese or English: the capture
//! code (`采集码`, `图像采集码`, `capture_code`; required — it is what an upload carries), the
//! student number (`学号`, `student_number`), the name (`姓名`, `name`) and the department (`院系`,
//! `学院`, `department`). Other columns are ignored. UTF-8, with or without a BOM; fields may be
//! quoted, with `""` for a quote.

use serde::Serialize;

/// One expected student.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Student {
    /// The student's capture code (图像采集码).
    pub capture_code: String,
    /// The school's student number (学号), if the roster has it.
    pub student_number: Option<String>,
    /// The student's name.
    pub name: Option<String>,
    /// The department.
    pub department: Option<String>,
}

/// Most students in one roster.
pub const MAX_STUDENTS: usize = 50_000;

/// The rows of a CSV text: fields split at commas outside quotes, `""` inside quotes a quote.
fn rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows.retain(|r| r.iter().any(|f| !f.trim().is_empty()));
    rows
}

/// Reads a roster CSV; the students, or what is wrong with it (in words for the admin).
pub fn parse(text: &str) -> Result<Vec<Student>, String> {
    let mut all = rows(text).into_iter();
    let header = all.next().ok_or("the roster is empty")?;
    let column =
        |names: &[&str]| header.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
    let code = column(&["采集码", "图像采集码", "capture_code", "capture code"])
        .ok_or("the roster needs a column 采集码 (capture_code): it is what an upload carries")?;
    let number = column(&["学号", "student_number", "student number"]);
    let name = column(&["姓名", "name"]);
    let department = column(&["院系", "学院", "department"]);
    let mut students = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, row) in all.enumerate() {
        let get = |at: Option<usize>| {
            at.and_then(|at| row.get(at)).map(|f| f.trim().to_string()).filter(|f| !f.is_empty())
        };
        let line = i + 2;
        let Some(capture_code) = get(Some(code)) else {
            return Err(format!("line {line}: no capture code"));
        };
        if capture_code.chars().count() > 100 || !seen.insert(capture_code.clone()) {
            return Err(format!("line {line}: capture code {capture_code:?} is too long or listed twice"));
        }
        students.push(Student {
            capture_code,
            student_number: get(number),
            name: get(name),
            department: get(department),
        });
        if students.len() > MAX_STUDENTS {
            return Err(format!("more than {MAX_STUDENTS} students"));
        }
    }
    Ok(students)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roster_is_read_by_its_column_names() {
        let text = "\u{feff}学号,姓名,院系,采集码,备注\r\n2022001,\"王, 小明\",建筑学院,CHSI-1,\r\n2022002,李\"\"华,土木学院,CHSI-2,\"a \"\"note\"\"\"\n\n";
        let students = parse(text).unwrap();
        assert_eq!(students.len(), 2);
        assert_eq!(students[0].capture_code, "CHSI-1");
        assert_eq!(students[0].name.as_deref(), Some("王, 小明"));
        assert_eq!(students[1].student_number.as_deref(), Some("2022002"));
        assert_eq!(students[1].department.as_deref(), Some("土木学院"));
        let english = parse("capture_code,name\nCHSI-9,Li\n").unwrap();
        assert_eq!((english[0].student_number.as_deref(), english[0].name.as_deref()), (None, Some("Li")));
    }

    #[test]
    fn a_roster_without_codes_or_with_a_code_twice_is_refused() {
        assert!(parse("学号,姓名\n1,王\n").unwrap_err().contains("采集码"));
        assert!(parse("采集码\nA\nA\n").unwrap_err().contains("line 3"));
        assert!(parse("采集码,姓名\n,王\n").unwrap_err().contains("line 2"));
        assert!(parse("").is_err());
    }
}
