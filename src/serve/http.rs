//! The HTTP edge: `GET /metrics` (Prometheus text format from the shared
//! registry) and `GET /healthz` (200 `ok` or 503 with the reasons), on a
//! small current-thread tokio runtime, far from the packet path. hyper's
//! HTTP/1 server is used directly: two fixed routes need no router, and
//! hyper is the smallest complete, maintained HTTP/1.1 implementation.
//! A plain TCP connect (an NLB TCP health check) is accepted too.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::health::Health;
use crate::pipeline::LiveProbe;

/// What the handlers read.
pub struct HttpState {
    /// The pipeline view (refreshes sampled gauges on each scrape).
    pub probe: LiveProbe,
    /// The latest health verdict (updated twice a second).
    pub health: Mutex<Health>,
}

/// Serves connections until the runtime stops.
pub async fn serve(listener: TcpListener, state: Arc<HttpState>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(c) => c,
            Err(_) => {
                // Out of file descriptors and the like: back off, go on.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(req, state.clone()));
            // A client that hangs up mid-request is not our problem.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<HttpState>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    const PLAIN: &str = "text/plain; charset=utf-8";
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Ok(text(
            StatusCode::METHOD_NOT_ALLOWED,
            PLAIN,
            "only GET and HEAD\n".into(),
        ));
    }
    Ok(match req.uri().path() {
        "/metrics" => {
            state.probe.snapshot();
            text(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                state.probe.metrics.render(),
            )
        }
        "/healthz" => {
            let h = state.health.lock().map(|h| h.clone()).unwrap_or(Health::Ok);
            let status = if h.is_ok() {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            text(status, PLAIN, h.body())
        }
        _ => text(
            StatusCode::NOT_FOUND,
            PLAIN,
            "not found: GET /metrics or /healthz\n".into(),
        ),
    })
}
