//! Delivering the photo, as values: the upload's metadata, where it goes, and when to try again.
//! The shell sends what this module describes; nothing here touches the network.

use serde::{Deserialize, Serialize};

/// Where and how uploads go: the backend's base URL and the protocol's paths and field names
/// (`docs/protocol.md`, `openapi.yaml`), each changeable by the integrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoint {
    /// Base URL, e.g. `/api` or `https://photos.example.edu.cn/api`.
    pub base: String,
    /// Session lookup, `{code}` replaced: `GET {base}/sessions/{code}`.
    pub session_path: String,
    /// Upload: `POST {base}/captures`.
    pub captures_path: String,
    /// Status, `{id}` replaced: `GET {base}/captures/{id}`.
    pub status_path: String,
    /// The stored photo, `{id}` replaced: `GET {base}/captures/{id}/photo`.
    pub photo_path: String,
    /// The multipart field of the standard photo.
    pub photo_field: String,
    /// The multipart field of the full frame.
    pub original_field: String,
    /// The multipart field of the metadata.
    pub meta_field: String,
    /// Extra headers sent with every request (e.g. a bearer token).
    pub headers: std::collections::BTreeMap<String, String>,
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint {
            base: "/api".into(),
            session_path: "/sessions/{code}".into(),
            captures_path: "/captures".into(),
            status_path: "/captures/{id}".into(),
            photo_path: "/captures/{id}/photo".into(),
            photo_field: "photo".into(),
            original_field: "original".into(),
            meta_field: "meta".into(),
            headers: Default::default(),
        }
    }
}

/// The multipart fields of an upload by what each carries: both the component
/// ([`Endpoint::fields`]) and the reference backend (`gradcap serve --photo-field …`) take them
/// from the integrator, with the same defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNames {
    /// The standard photo's field.
    pub photo: String,
    /// The full frame's field.
    pub original: String,
    /// The metadata's field.
    pub meta: String,
}

impl Default for FieldNames {
    fn default() -> Self {
        Endpoint::default().fields()
    }
}

fn join(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

/// Keeps the characters that are safe in a URL path segment, percent-encoding the rest.
fn segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Endpoint {
    /// The multipart field names uploads use.
    pub fn fields(&self) -> FieldNames {
        FieldNames {
            photo: self.photo_field.clone(),
            original: self.original_field.clone(),
            meta: self.meta_field.clone(),
        }
    }

    /// The session lookup URL.
    ///
    /// ```
    /// let e = gradcap::upload::Endpoint::default();
    /// assert_eq!(e.session_url("26050704"), "/api/sessions/26050704");
    /// assert_eq!(e.captures_url(), "/api/captures");
    /// assert_eq!(e.status_url("c1/../x"), "/api/captures/c1%2F..%2Fx");
    /// ```
    pub fn session_url(&self, code: &str) -> String {
        join(&self.base, &self.session_path.replace("{code}", &segment(code)))
    }

    /// The upload URL.
    pub fn captures_url(&self) -> String {
        join(&self.base, &self.captures_path)
    }

    /// The status URL of capture `id`.
    pub fn status_url(&self, id: &str) -> String {
        join(&self.base, &self.status_path.replace("{id}", &segment(id)))
    }

    /// The URL of capture `id`'s stored photo.
    ///
    /// ```
    /// let e = gradcap::upload::Endpoint::default();
    /// assert_eq!(e.photo_url("c9"), "/api/captures/c9/photo");
    /// ```
    pub fn photo_url(&self, id: &str) -> String {
        join(&self.base, &self.photo_path.replace("{id}", &segment(id)))
    }
}

/// What a session lookup says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The 8-digit code.
    pub code: String,
    /// Its name, e.g. "安徽建筑大学2026届图像采集".
    pub name: String,
    /// The school.
    #[serde(default)]
    pub school: String,
    /// Whether it still takes photos.
    pub open: bool,
}

impl SessionInfo {
    /// The line the student confirms: "26050704 - 安徽建筑大学2026届图像采集".
    pub fn label(&self) -> String {
        format!("{} - {}", self.code, self.name)
    }
}

/// What a session lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// An open session.
    Open(SessionInfo),
    /// It exists but takes no more photos.
    Closed(SessionInfo),
    /// No such session.
    Unknown,
    /// The backend could not be asked.
    Unreachable,
}

/// The header a student's request carries the receipt of their capture in (the status, the
/// stored photo, and a retake replacing it). HTTP header names are case-insensitive.
pub const RECEIPT_HEADER: &str = "X-Gradcap-Receipt";

/// A confirmed photo waiting to be delivered, as the browser's outbox keeps it (beside the two
/// JPEGs): what a later page needs to send it exactly as the first attempt did, to the backend
/// configured when it was confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parcel {
    /// The `Idempotency-Key`, fixed at the shutter: the same on every attempt.
    pub key: String,
    /// Where it goes, under which field names and headers.
    pub endpoint: Endpoint,
    /// The `meta` part as sent: the JSON text of a [`Meta`], the same bytes on every attempt.
    pub meta: String,
    /// The capture code it was taken for (the receipt the backend answers is kept under it).
    #[serde(default)]
    pub capture_code: Option<String>,
    /// A retake: the receipt of the capture it replaces, sent in [`RECEIPT_HEADER`].
    #[serde(default)]
    pub replaces: Option<String>,
}

impl Parcel {
    /// The headers of every attempt before the integrator's own: the endpoint's, the receipt of
    /// a replaced capture, and the key.
    ///
    /// ```
    /// use gradcap::upload::{Endpoint, Parcel};
    /// let parcel = Parcel {
    ///     key: "k1".into(),
    ///     endpoint: Endpoint::default(),
    ///     meta: "{}".into(),
    ///     capture_code: None,
    ///     replaces: Some("r1".into()),
    /// };
    /// let headers = parcel.headers();
    /// assert!(headers.contains(&("X-Gradcap-Receipt".into(), "r1".into())));
    /// assert_eq!(headers.last(), Some(&("Idempotency-Key".into(), "k1".into())));
    /// ```
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> =
            self.endpoint.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        out.extend(self.replaces.iter().map(|r| (RECEIPT_HEADER.to_string(), r.clone())));
        out.push(("Idempotency-Key".into(), self.key.clone()));
        out
    }
}

/// The upload's `meta` field: what the component sends and the reference backend reads (the
/// same type on both sides). A field missing from what a client sent reads as its default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Meta {
    /// The student's capture code, if read.
    pub capture_code: Option<String>,
    /// The session code, if bound.
    pub session_code: Option<String>,
    /// `"live"` ([`Meta::LIVE`]): the portrait can only come from the camera stream.
    pub source: String,
    /// The checks of the frame the photo was taken from: `[{id, pass, score, value}]`.
    pub report: Vec<crate::checks::Check>,
    /// JPEG quality and size of the photo.
    pub photo: PhotoFacts,
    /// The live stream's timing, which shows the photo came from it.
    pub stream: StreamFacts,
    /// What the frames before the shutter said about a recapture (`liveness.recapture`).
    pub liveness: crate::checks::liveness::Evidence,
    /// The browser's user agent.
    pub device: String,
    /// The component's version.
    pub component_version: String,
    /// When the shutter was pressed (ISO 8601).
    pub captured_at: String,
    /// A retake from the return visit: the id of the capture this photo replaces (the upload
    /// carries that capture's receipt).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

impl Meta {
    /// The `source` of a photo taken from the camera stream.
    pub const LIVE: &'static str = "live";

    /// Whether the client says the photo came from the live stream, with frames analysed
    /// before the shutter (its own claim, for staff: nothing here proves it).
    ///
    /// ```
    /// use gradcap::upload::Meta;
    /// let sent: Meta = serde_json::from_str(r#"{"source": "live", "stream": {"frames": 40}}"#).unwrap();
    /// assert!(sent.claims_live());
    /// let album: Meta = serde_json::from_str(r#"{"captureCode": "C", "source": "album"}"#).unwrap();
    /// assert!(!album.claims_live() && album.capture_code.as_deref() == Some("C"));
    /// ```
    pub fn claims_live(&self) -> bool {
        self.source == Meta::LIVE && self.stream.frames > 0
    }
}

/// Facts of the standard photo.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PhotoFacts {
    /// Width, px.
    pub width: u32,
    /// Height, px.
    pub height: u32,
    /// File size, bytes.
    pub bytes: usize,
    /// JPEG quality.
    pub quality: u8,
}

/// Timing of the camera stream up to the shutter.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StreamFacts {
    /// Frames analysed before the shutter.
    pub frames: u64,
    /// Analysed frames per second.
    pub fps: f64,
    /// Width × height of the camera frames.
    pub width: u32,
    /// Height of the camera frames.
    pub height: u32,
    /// Milliseconds from the camera's first frame to the shutter.
    pub live_ms: f64,
}

/// What to do after an attempt, from its HTTP status (0: no answer — offline, dropped, timed out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored (2xx).
    Done,
    /// Worth trying again: no answer, 408, 425, 429 or a 5xx.
    Retry,
    /// The server refuses this upload for good (other 4xx): trying again will not help.
    Refused,
}

impl Outcome {
    /// Classifies an HTTP status.
    ///
    /// ```
    /// use gradcap::upload::Outcome;
    /// assert_eq!(Outcome::of(201), Outcome::Done);
    /// assert_eq!(Outcome::of(0), Outcome::Retry);
    /// assert_eq!(Outcome::of(503), Outcome::Retry);
    /// assert_eq!(Outcome::of(415), Outcome::Refused);
    /// ```
    pub fn of(status: u16) -> Outcome {
        match status {
            200..=299 => Outcome::Done,
            0 | 408 | 425 | 429 | 500..=599 => Outcome::Retry,
            _ => Outcome::Refused,
        }
    }
}

/// Exponential backoff with full jitter: attempt `n` (from 0) waits a random time up to
/// `min(max_ms, base_ms · 2ⁿ)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Backoff {
    /// The first ceiling, ms.
    pub base_ms: f64,
    /// The largest ceiling, ms.
    pub max_ms: f64,
    /// Attempts before the upload is left in the outbox for the next page load or `online` event.
    pub attempts: u32,
    /// How long one attempt may wait for an answer, ms.
    pub timeout_ms: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base_ms: 500.0, max_ms: 30_000.0, attempts: 6, timeout_ms: 60_000 }
    }
}

impl Backoff {
    /// The wait before attempt `n + 1`, given a uniform random `jitter` in 0–1.
    ///
    /// ```
    /// let b = gradcap::upload::Backoff::default();
    /// assert_eq!(b.delay(0, 1.0), 500.0);
    /// assert_eq!(b.delay(3, 0.5), 2000.0);
    /// assert_eq!(b.delay(20, 1.0), 30_000.0);
    /// ```
    pub fn delay(&self, n: u32, jitter: f64) -> f64 {
        let ceiling = (self.base_ms * 2f64.powi(n.min(30) as i32)).min(self.max_ms);
        ceiling * jitter.clamp(0.0, 1.0)
    }
}

/// An idempotency key from 16 random bytes: the same upload always carries the same key, so a
/// retry after a lost answer cannot be stored twice.
///
/// ```
/// let key = gradcap::upload::idempotency_key([0xab; 16]);
/// assert_eq!(key, "gc-abababababababababababababababab");
/// ```
pub fn idempotency_key(random: [u8; 16]) -> String {
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("gc-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parcel_reads_back_as_it_was_kept() {
        let parcel = Parcel {
            key: "key-1".into(),
            endpoint: Endpoint { photo_field: "image".into(), ..Endpoint::default() },
            meta: serde_json::to_string(&Meta { source: Meta::LIVE.into(), ..Meta::default() }).unwrap(),
            capture_code: Some("CHSI-1".into()),
            replaces: None,
        };
        let kept = serde_json::to_value(&parcel).unwrap();
        assert_eq!(kept["captureCode"], "CHSI-1");
        assert_eq!(kept["endpoint"]["photoField"], "image");
        assert_eq!(serde_json::from_value::<Parcel>(kept).unwrap(), parcel);
        // The outbox keeps the JPEGs beside it in the same record: they are not its fields.
        let stored = serde_json::json!({"key": "k", "endpoint": {}, "meta": "{}", "photo": [1, 2]});
        let read: Parcel = serde_json::from_value(stored).unwrap();
        assert_eq!((read.capture_code, read.endpoint), (None, Endpoint::default()));
    }

    #[test]
    fn urls_follow_the_configured_paths() {
        let e = Endpoint {
            base: "https://x.example/v2/".into(),
            session_path: "/s/{code}".into(),
            ..Endpoint::default()
        };
        assert_eq!(e.session_url("26050704"), "https://x.example/v2/s/26050704");
        assert_eq!(e.captures_url(), "https://x.example/v2/captures");
        let json = r#"{"base": "/b", "photoField": "image", "headers": {"X-School": "ahjzu"}}"#;
        let parsed: Endpoint = serde_json::from_str(json).unwrap();
        assert_eq!((parsed.photo_field.as_str(), parsed.meta_field.as_str()), ("image", "meta"));
        assert_eq!(parsed.headers["X-School"], "ahjzu");
    }

    #[test]
    fn backoff_grows_and_caps_and_outcomes_split_retry_from_refusal() {
        let b = Backoff::default();
        let ceilings: Vec<f64> = (0..8).map(|n| b.delay(n, 1.0)).collect();
        assert_eq!(ceilings, [500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0, 30000.0, 30000.0]);
        assert_eq!(b.delay(2, 0.0), 0.0);
        for s in [0, 408, 429, 500, 502, 503, 504] {
            assert_eq!(Outcome::of(s), Outcome::Retry, "{s}");
        }
        for s in [400, 401, 403, 404, 413, 415, 422] {
            assert_eq!(Outcome::of(s), Outcome::Refused, "{s}");
        }
    }

    #[test]
    fn a_session_reads_as_the_student_confirms_it() {
        let s: SessionInfo = serde_json::from_str(
            r#"{"code": "26050704", "name": "安徽建筑大学2026届图像采集", "open": true}"#,
        )
        .unwrap();
        assert_eq!(s.label(), "26050704 - 安徽建筑大学2026届图像采集");
    }
}
