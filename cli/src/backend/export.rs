//! The day's result handed on: a session's approved photos as a ZIP, one per student (the latest
//! approval of each capture code), named by the capture code, with a CSV manifest of what is in
//! it. Written a photo at a time — a 5,000-photo session never sits in memory — to a file
//! (`gradcap export`) or to the review desk's download (`GET /api/export`).
//!
//! The archive is plain ZIP with stored (uncompressed: JPEG does not shrink) entries and UTF-8
//! names, which Windows' Explorer, macOS and `unzip` open; at most 65,535 entries and 4 GiB.

use super::store::{sha256, Store};
use std::io::Write;

/// Writes a ZIP of stored entries to `out`, one entry at a time.
pub struct Zip<W: Write> {
    out: W,
    written: u64,
    central: Vec<u8>,
    entries: u16,
    /// The DOS time and date every entry is stamped with.
    stamp: (u16, u16),
}

impl<W: Write> Zip<W> {
    /// An archive written to `out`, its entries stamped with `unix` seconds (as local time
    /// `offset_hours` from UTC: ZIP keeps no time zone).
    pub fn new(out: W, unix: i64, offset_hours: i64) -> Zip<W> {
        Zip { out, written: 0, central: Vec::new(), entries: 0, stamp: dos_time(unix + offset_hours * 3600) }
    }

    /// Adds the file `name` holding `bytes`.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let too_big =
            bytes.len() > u32::MAX as usize || self.written + bytes.len() as u64 > u64::from(u32::MAX);
        if too_big || self.entries == u16::MAX || name.len() > usize::from(u16::MAX) {
            return Err("the export is over what a ZIP without ZIP64 holds (65,535 files, 4 GiB)".into());
        }
        let mut crc = flate2::Crc::new();
        crc.update(bytes);
        let (crc, size, name_len) = (crc.sum(), bytes.len() as u32, name.len() as u16);
        let (time, date) = self.stamp;
        // Version 2.0, bit 11: the name is UTF-8, method 0: stored.
        let common = |h: &mut Vec<u8>| {
            for v in [20u16, 0x0800, 0, time, date] {
                h.extend(v.to_le_bytes());
            }
            for v in [crc, size, size] {
                h.extend(v.to_le_bytes());
            }
            h.extend(name_len.to_le_bytes());
        };
        let mut local = 0x0403_4b50u32.to_le_bytes().to_vec();
        common(&mut local);
        local.extend(0u16.to_le_bytes()); // no extra field
        local.extend(name.as_bytes());
        let mut entry = 0x0201_4b50u32.to_le_bytes().to_vec();
        entry.extend(20u16.to_le_bytes()); // made by: version 2.0
        common(&mut entry);
        for _ in 0..4 {
            entry.extend(0u16.to_le_bytes()); // extra, comment, disk, internal attributes
        }
        entry.extend(0u32.to_le_bytes()); // external attributes
        entry.extend((self.written as u32).to_le_bytes());
        entry.extend(name.as_bytes());
        self.central.extend(entry);
        self.put(&local)?;
        self.put(bytes)?;
        self.entries += 1;
        Ok(())
    }

    /// Writes the central directory; the writer.
    pub fn finish(mut self) -> Result<W, String> {
        let (start, size) = (self.written as u32, self.central.len() as u32);
        let central = std::mem::take(&mut self.central);
        self.put(&central)?;
        let mut end = 0x0605_4b50u32.to_le_bytes().to_vec();
        for v in [0u16, 0, self.entries, self.entries] {
            end.extend(v.to_le_bytes());
        }
        end.extend(size.to_le_bytes());
        end.extend(start.to_le_bytes());
        end.extend(0u16.to_le_bytes());
        self.put(&end)?;
        self.out.flush().map_err(|e| e.to_string())?;
        Ok(self.out)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.out.write_all(bytes).map_err(|e| e.to_string())?;
        self.written += bytes.len() as u64;
        Ok(())
    }
}

/// MS-DOS time and date of `unix` seconds (read as local time), from 1980 on.
fn dos_time(unix: i64) -> (u16, u16) {
    let (year, month, day, secs) = super::store::civil(unix);
    let year = year.clamp(1980, 2107);
    let time = ((secs / 3600) << 11) | (((secs % 3600) / 60) << 5) | ((secs % 60) / 2);
    let date = ((year - 1980) << 9) | (month << 5) | day;
    (time as u16, date as u16)
}

/// A capture code as a file name: letters, digits, `-` and `_` kept, anything else `_`.
pub fn file_name(code: &str) -> String {
    let safe: String = code
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    format!("{safe}.jpg")
}

/// A CSV field, quoted when it needs to be (and never read as a formula by a spreadsheet).
fn csv(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) { format!("'{field}") } else { field.to_string() };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

/// What an export's photos are named by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// The capture code (`CHSI-….jpg`).
    #[default]
    CaptureCode,
    /// The student number the session's roster gives (the capture code where it gives none).
    StudentNumber,
}

impl Naming {
    /// `capture-code` or `student-number` (the command line's and the API's words).
    pub fn parse(text: &str) -> Result<Naming, String> {
        match text {
            "capture-code" | "captureCode" => Ok(Naming::CaptureCode),
            "student-number" | "studentNumber" => Ok(Naming::StudentNumber),
            other => Err(format!("name files by capture-code or student-number, not {other:?}")),
        }
    }
}

/// What went into an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    /// Photos in the archive.
    pub photos: usize,
}

/// Writes the approved photos of `session`, named as `naming` says, and `manifest.csv` (with the
/// roster's number, name and department where it has the student) as a ZIP to `out`.
pub fn export(store: &Store, session: &str, naming: Naming, out: impl Write) -> Result<Exported, String> {
    if store.session(session)?.is_none() {
        return Err(format!("no session {session}"));
    }
    let approved = store.approved(session)?;
    let roster: std::collections::HashMap<String, super::roster::Student> =
        store.roster(session)?.into_iter().map(|(s, _)| (s.capture_code.clone(), s)).collect();
    let mut zip = Zip::new(out, super::store::unix_now(), 8);
    let mut manifest = String::from(
        "capture_code,student_number,name,department,file,status,decided_by,decided_at,sha256,capture_id\r\n",
    );
    let mut names = std::collections::BTreeSet::new();
    let mut rows = Vec::new();
    for a in &approved {
        let student = roster.get(&a.capture_code);
        let number = student.and_then(|s| s.student_number.as_deref());
        let by = match (naming, number) {
            (Naming::StudentNumber, Some(number)) => number,
            _ => a.capture_code.as_str(),
        };
        // Two names that only differ in characters a file name cannot hold are told apart.
        let mut name = file_name(by);
        if !names.insert(name.clone()) {
            name = format!("{}-{}.jpg", name.trim_end_matches(".jpg"), &a.id);
            names.insert(name.clone());
        }
        let of = |f: fn(&super::roster::Student) -> Option<&str>| student.and_then(f).unwrap_or("");
        let fields = [
            &a.capture_code,
            number.unwrap_or(""),
            of(|s| s.name.as_deref()),
            of(|s| s.department.as_deref()),
            &name,
            "approved",
            &a.reviewed_by,
            &a.reviewed_at,
            &a.photo_sha256,
            &a.id,
        ];
        manifest.push_str(&fields.iter().map(|f| csv(f)).collect::<Vec<_>>().join(","));
        manifest.push_str("\r\n");
        rows.push((name, a));
    }
    // The manifest first (a BOM, so that Excel reads it as UTF-8), then a photo at a time.
    zip.add("manifest.csv", format!("\u{feff}{manifest}").as_bytes())?;
    for (name, a) in rows {
        let bytes =
            store.file(&a.photo_sha256)?.ok_or_else(|| format!("the photo of {} is missing", a.id))?;
        if sha256(&bytes) != a.photo_sha256 {
            return Err(format!("the photo of {} does not match its hash (run gradcap fsck --verify)", a.id));
        }
        zip.add(&name, &bytes)?;
    }
    zip.finish()?;
    Ok(Exported { photos: approved.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_times_are_calendar_dates() {
        // 2026-12-07 13:45:30 → 46 years after 1980, month 12, day 7.
        let (time, date) = dos_time(1_796_651_130);
        assert_eq!((date >> 9, (date >> 5) & 15, date & 31), (46, 12, 7));
        assert_eq!((time >> 11, (time >> 5) & 63, (time & 31) * 2), (13, 45, 30));
    }

    #[test]
    fn names_and_fields_are_safe() {
        assert_eq!(file_name("CHSI-2026/../x y"), "CHSI-2026____x_y.jpg");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("=cmd()"), "'=cmd()");
        assert_eq!(csv("plain"), "plain");
    }

    #[test]
    fn an_archive_lists_its_entries_at_its_end() {
        let mut zip = Zip::new(Vec::new(), 1_796_651_130, 0);
        zip.add("a.txt", b"hello").unwrap();
        zip.add("b.jpg", &[0xff; 1000]).unwrap();
        let bytes = zip.finish().unwrap();
        let end = &bytes[bytes.len() - 22..];
        assert_eq!(&end[..4], &0x0605_4b50u32.to_le_bytes());
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 2);
        let start = u32::from_le_bytes(end[16..20].try_into().unwrap()) as usize;
        assert_eq!(&bytes[start..start + 4], &0x0201_4b50u32.to_le_bytes());
        assert_eq!(&bytes[30..35], b"a.txt");
        assert_eq!(&bytes[35..40], b"hello");
    }
}
