//! How fast a request body must come, and how much of the server's memory bodies may hold.
//!
//! A body must keep arriving: no pause longer than [`Pace::pause`], and after that much time at
//! least [`Pace::min_rate`] bytes a second on average since it began. One that falls behind is
//! answered `408 body.timeout` (the component sends it again later, under the same key) and is
//! counted against its address: an address whose bodies stall [`STALLS_PER_MINUTE`] times a
//! minute has its next bodies refused at once (429) — a trickle of one byte every few seconds
//! cannot hold the server's connections.
//!
//! Uploads are held in memory while they are read and checked; together they may hold at most
//! [`Pace::budget`] bytes, each counted at its declared length (at the most a body may be when it
//! declares none). An upload that does not fit waits up to [`BUDGET_WAIT`] for others to finish,
//! then is answered `503 server.busy` with `Retry-After`.

use super::{guard, ApiError, Shared};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

/// How fast bodies must come and how much of them the server holds at once.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// Longest pause inside a body, and the time a body has before its rate counts.
    pub pause: Duration,
    /// Least average rate of a body after [`Pace::pause`], bytes a second.
    pub min_rate: u64,
    /// Most bytes of uploads held at once, the whole server.
    pub budget: usize,
}

impl Default for Pace {
    fn default() -> Self {
        Pace { pause: Duration::from_secs(20), min_rate: 2048, budget: 64 << 20 }
    }
}

/// Stalled bodies a minute from one address before its bodies are refused: enough for a campus
/// of phones on a weak signal behind one address, far fewer than a trickling client needs to hold
/// its connections (64 of them stalling every 20 s is 190 a minute).
pub const STALLS_PER_MINUTE: usize = 30;

/// How long an upload waits for room in the memory budget.
pub const BUDGET_WAIT: Duration = Duration::from_secs(5);

/// A request body that fails once it falls behind its [`Pace`], and says so in `stalled`.
struct Paced {
    inner: Body,
    pace: Pace,
    started: Instant,
    last: Instant,
    received: u64,
    timer: Pin<Box<tokio::time::Sleep>>,
    stalled: Arc<AtomicBool>,
}

impl Paced {
    /// When the body falls behind if nothing more comes.
    fn deadline(&self) -> Instant {
        let by_pause = self.last + self.pace.pause;
        let rate = self.pace.min_rate.max(1) as f64;
        let by_rate = self.started + self.pace.pause + Duration::from_secs_f64(self.received as f64 / rate);
        by_pause.min(by_rate)
    }
}

impl HttpBody for Paced {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    this.last = Instant::now();
                }
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Ready(other) => return Poll::Ready(other),
            Poll::Pending => {}
        }
        loop {
            let deadline = this.deadline();
            if Instant::now() >= deadline {
                this.stalled.store(true, Ordering::Relaxed);
                return Poll::Ready(Some(Err(axum::Error::new("the body came too slowly"))));
            }
            this.timer.as_mut().reset(deadline);
            if Pin::new(&mut this.timer).poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Holds every request body to the server's [`Pace`]; `408` for one that fell behind.
pub async fn paced(
    axum::extract::State(app): axum::extract::State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let address = guard::client(&request).map(|ip| ip.to_string());
    if address.as_deref().is_some_and(|a| !app.stalls.below(a)) {
        return guard::too_many("stalled requests from this address").into_response();
    }
    let stalled = Arc::new(AtomicBool::new(false));
    let now = Instant::now();
    let pace = app.config.pace;
    let request = request.map(|inner| {
        Body::new(Paced {
            inner,
            pace,
            started: now,
            last: now,
            received: 0,
            timer: Box::pin(tokio::time::sleep_until(now + pace.pause)),
            stalled: stalled.clone(),
        })
    });
    let response = next.run(request).await;
    if !stalled.load(Ordering::Relaxed) {
        return response;
    }
    if let Some(address) = &address {
        app.stalls.admit(address);
    }
    let message = format!(
        "the body stopped coming (a pause over {} s, or under {} bytes a second); send it again",
        pace.pause.as_secs(),
        pace.min_rate
    );
    let mut response = ApiError(StatusCode::REQUEST_TIMEOUT, "body.timeout", message).into_response();
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Room for one upload's bytes in the memory budget, given back when dropped.
pub struct Room(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

/// Kilobytes are the budget's unit (a semaphore counts at most `u32::MAX` permits at once).
const UNIT: usize = 1024;

/// The budget for all bodies: `bytes` of them at once.
pub fn budget(bytes: usize) -> Arc<tokio::sync::Semaphore> {
    Arc::new(tokio::sync::Semaphore::new((bytes / UNIT).max(1)))
}

/// Room for a body of `length` bytes (the most a body may be when it does not say), waiting up
/// to [`BUDGET_WAIT`]; `503` with `Retry-After` when there is none.
pub async fn room(app: &Shared, length: usize) -> Result<Room, ApiError> {
    let budget = app.bodies.clone();
    let want = length.div_ceil(UNIT).clamp(1, app.config.pace.budget / UNIT) as u32;
    match tokio::time::timeout(BUDGET_WAIT, budget.acquire_many_owned(want)).await {
        Ok(Ok(permit)) => Ok(Room(permit)),
        _ => Err(ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "server.busy",
            "the server is taking in as many uploads as it can hold; send it again shortly".into(),
        )),
    }
}
