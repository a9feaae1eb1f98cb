//! The crate's one error type.

use std::fmt;

/// What went wrong; see [`Error::kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Pixel data does not match the dimensions it was given with.
    InvalidFrame,
    /// The bytes are not an image the core can read.
    ImageDecode,
    /// The photo could not be encoded.
    ImageEncode,
    /// The image is larger than the configured memory bound allows.
    ImageTooLarge,
    /// A model file is damaged, or not a model this engine can run.
    ModelFormat,
}

/// An error from the gradcap core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    detail: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Error { kind, detail: detail.into().trim_end().to_string() }
    }

    /// The kind of failure, for callers that branch on it.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// A stable code for pages and logs, e.g. `"image.decode"`.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ErrorKind::InvalidFrame => "frame.invalid",
            ErrorKind::ImageDecode => "image.decode",
            ErrorKind::ImageEncode => "image.encode",
            ErrorKind::ImageTooLarge => "image.too_large",
            ErrorKind::ModelFormat => "model.format",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::InvalidFrame => "invalid frame",
            ErrorKind::ImageDecode => "cannot decode image",
            ErrorKind::ImageEncode => "cannot encode the photo",
            ErrorKind::ImageTooLarge => "image too large",
            ErrorKind::ModelFormat => "bad model",
        };
        if self.detail.is_empty() {
            f.write_str(what)
        } else {
            write!(f, "{what}: {}", self.detail)
        }
    }
}

impl std::error::Error for Error {}
