//! The DOM events the component dispatches: bubbling, composed `CustomEvent`s on the host
//! element. The names, when each comes and the shape of its `detail` are kept here, in the core,
//! so that the shell dispatches only these (`src/web/notices.rs` makes every one), the
//! TypeScript event map (`GradCaptureEventMap` in `pkg/gradcap-element.d.ts`) and the table in
//! `docs/embedding.md` are written from them, and a test (`tests/contract.rs`) fails when either
//! disagrees.

/// One of the component's DOM events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomEvent {
    /// The shutter is on.
    Ready,
    /// A capture code was read.
    Code,
    /// A session was bound.
    Session,
    /// The guidance changed.
    Check,
    /// The shutter was pressed and the standard photo made.
    Capture,
    /// Part of an upload was sent.
    UploadProgress,
    /// The backend stored the photo.
    Uploaded,
    /// Staff reviewed the photo sent from this page.
    Reviewed,
    /// A student back on a capture code delivered before is shown its verdict.
    Verdict,
    /// Something failed.
    Error,
}

impl DomEvent {
    /// Every event, in the order a student meets them.
    pub const ALL: [DomEvent; 10] = [
        DomEvent::Code,
        DomEvent::Session,
        DomEvent::Verdict,
        DomEvent::Check,
        DomEvent::Ready,
        DomEvent::Capture,
        DomEvent::UploadProgress,
        DomEvent::Uploaded,
        DomEvent::Reviewed,
        DomEvent::Error,
    ];

    /// Its name, as passed to `addEventListener`.
    pub fn name(self) -> &'static str {
        match self {
            DomEvent::Ready => "ready",
            DomEvent::Code => "code",
            DomEvent::Session => "session",
            DomEvent::Check => "check",
            DomEvent::Capture => "capture",
            DomEvent::UploadProgress => "upload-progress",
            DomEvent::Uploaded => "uploaded",
            DomEvent::Reviewed => "reviewed",
            DomEvent::Verdict => "verdict",
            DomEvent::Error => "error",
        }
    }

    /// When it is dispatched, in a sentence.
    pub fn when(self) -> &'static str {
        match self {
            DomEvent::Ready => "the shutter turns on (every check passed and the countdown ran out)",
            DomEvent::Code => "the student's capture code was read (camera or album)",
            DomEvent::Session => "the session code was bound (`steps` with `session`)",
            DomEvent::Check => "the sentence the student is shown changed",
            DomEvent::Capture => "the shutter was pressed and the standard photo made",
            DomEvent::UploadProgress => "part of an upload's body was sent",
            DomEvent::Uploaded => "the backend stored the photo (once, however many times it was sent)",
            DomEvent::Reviewed => "staff approved or rejected the photo sent from this page",
            DomEvent::Verdict => {
                "a student back on a capture code delivered before is shown what became of it"
            }
            DomEvent::Error => "something failed; `code` is stable, `message` is for people",
        }
    }

    /// The shape of its `detail`, as a TypeScript type.
    pub fn detail(self) -> &'static str {
        match self {
            DomEvent::Ready => "Record<string, never>",
            DomEvent::Code => "{ code: string }",
            DomEvent::Session => "{ session: string }",
            DomEvent::Check => "{ id: string; zh: string; en: string; text: string }",
            DomEvent::Capture => {
                "{ width: number; height: number; bytes: number; quality: number; faults: string[] }"
            }
            DomEvent::UploadProgress => "{ loaded: number; total: number }",
            DomEvent::Uploaded => "{ key: string; id: string; status: string | null; receipt: string | null }",
            DomEvent::Reviewed => "{ id: string; status: 'approved' | 'rejected'; reason: string | null }",
            DomEvent::Verdict => {
                "{ id?: string; status: 'pending' | 'approved' | 'rejected'; reason?: string; sentAt?: string }"
            }
            DomEvent::Error => "{ code: string; message?: string; key?: string }",
        }
    }
}

/// The stable `code` of an `error` event that is not a camera failure (those are
/// [`crate::camera::CameraFailure::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The browser has no WebAssembly (reported by the loader, `element.js`).
    WasmUnsupported,
    /// The module's files could not be fetched or compiled: a 404, a dropped connection, a
    /// Content-Security-Policy refusal (reported by the loader, with the URL and the reason).
    WasmLoad,
    /// A model could not be fetched or read.
    ModelLoad,
    /// The standard photo could not be made at the shutter.
    PhotoFailed,
    /// The upload did not go through after every retry.
    UploadFailed,
    /// The backend refused the upload for good.
    UploadRefused,
}

impl ErrorCode {
    /// Every code, in the order the documentation lists them.
    pub const ALL: [ErrorCode; 6] = [
        ErrorCode::WasmUnsupported,
        ErrorCode::WasmLoad,
        ErrorCode::ModelLoad,
        ErrorCode::PhotoFailed,
        ErrorCode::UploadFailed,
        ErrorCode::UploadRefused,
    ];

    /// The code, as the `error` event's `detail.code`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::WasmUnsupported => "wasm.unsupported",
            ErrorCode::WasmLoad => "wasm.load",
            ErrorCode::ModelLoad => "model.load",
            ErrorCode::PhotoFailed => "photo.failed",
            ErrorCode::UploadFailed => "upload.failed",
            ErrorCode::UploadRefused => "upload.refused",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_is_listed_once_with_its_own_name() {
        let mut names: Vec<&str> = DomEvent::ALL.iter().map(|e| e.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DomEvent::ALL.len());
    }
}
