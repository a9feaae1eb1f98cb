//! Requests made from arbitrary bytes and what every answer to them must be: the
//! `backend_request` fuzz target and its regression replay (`cli/tests/fuzz_regressions.rs`) share
//! them, so a crash found by the fuzzer is replayed exactly.
//!
//! The first byte picks the request: from 0xF0, 0xF0–0xF7 a staff sign-in (the rest is the JSON
//! body) and 0xF8–0xFF a student's status read (the rest is the receipt header, then a NUL,
//! then the capture id); below it, by the byte modulo 4, 0–1 an upload (the rest is the
//! multipart body, boundary `gcfz`), 2 a review decision (the rest is the JSON body; refused
//! without a staff session), 3 a GET of the rest as a path under `/api/` (bytes outside
//! `A–Z a–z 0–9 / - _ .` percent-encoded).

use axum::body::Body;
use axum::http::Request;
use axum::response::Response;

/// The request `data` describes, with `key` as its Idempotency-Key; `None` for empty input.
pub fn request(data: &[u8], key: &str) -> Option<Request<Body>> {
    let (&pick, rest) = data.split_first()?;
    // As a browser on the server's own address would send it.
    let builder = Request::builder().header("host", "127.0.0.1");
    if pick >= 0xF8 {
        let (receipt, id) = rest.split_at(rest.iter().position(|&b| b == 0).unwrap_or(rest.len()));
        let receipt: String =
            receipt.iter().filter(|b| b.is_ascii_graphic()).map(|&b| char::from(b)).collect();
        let id = escape(id.get(1..).unwrap_or_default());
        return builder
            .method("GET")
            .uri(format!("/api/captures/{id}"))
            .header("x-gradcap-receipt", receipt)
            .body(Body::empty())
            .ok();
    }
    if pick >= 0xF0 {
        return builder
            .method("POST")
            .uri("/api/staff/sign-in")
            .header("content-type", "application/json")
            .body(Body::from(rest.to_vec()))
            .ok();
    }
    let request = match pick % 4 {
        0 | 1 => builder
            .method("POST")
            .uri("/api/captures")
            .header("content-type", "multipart/form-data; boundary=gcfz")
            .header("idempotency-key", key)
            .body(Body::from(rest.to_vec())),
        2 => builder
            .method("POST")
            .uri("/api/captures/c0123/review")
            .header("content-type", "application/json")
            .body(Body::from(rest.to_vec())),
        _ => builder.method("GET").uri(format!("/api/{}", escape(rest))).body(Body::empty()),
    };
    request.ok()
}

fn escape(path: &[u8]) -> String {
    path.iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"/-_.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Why `response` is not what the API promises: a success, or a 4xx with a JSON error that has a
/// `code`. Bad input is never a server error.
pub async fn fault(response: Response) -> Option<String> {
    let status = response.status();
    if status.is_server_error() {
        return Some(format!("bad input answered with {status}"));
    }
    if !status.is_client_error() {
        return None;
    }
    let body = match axum::body::to_bytes(response.into_body(), 1 << 20).await {
        Ok(body) => body,
        Err(e) => return Some(format!("the error's body could not be read: {e}")),
    };
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(json) if json["error"]["code"].is_string() => None,
        _ => Some(format!("{status} without a JSON error: {}", String::from_utf8_lossy(&body))),
    }
}
