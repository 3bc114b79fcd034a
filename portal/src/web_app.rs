//! Serves the one web app (`web/`, built by `npm run build`): the customer portal pages
//! `/p/<name>`, the representative console `/console`, and their assets under `/app/`.
//! Every page is the same `index.html`; the app reads the address. The files are read from
//! the web folder (installed beside the binary, or the source tree's `web/dist`), never
//! fetched from elsewhere, under a policy that runs only our own scripts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_protocol::SessionCode;

use crate::App;
use crate::storage::unix_now;

/// What the app's pages may do: our scripts and styles, our WebSocket, nothing else.
const APP_POLICY: &str = "default-src 'self'; connect-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'";

/// The folder holding the built app.
pub(crate) fn web_dir(configured: Option<&Path>) -> PathBuf {
    if let Some(dir) = configured {
        return dir.to_owned();
    }
    let installed = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("share/tandem/web")));
    match installed {
        Some(dir) if dir.join("index.html").is_file() => dir,
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist"),
    }
}

fn with_policy(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(APP_POLICY),
    );
    response
}

fn not_built(dir: &Path) -> Response {
    tracing::error!(dir = %dir.display(), "the web app is not built (run `npm run build` in web/)");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!DOCTYPE html><title>Tandem</title><p>This page is not available right now. \
              Please try again later.</p>",
        ),
    )
        .into_response()
}

pub(crate) async fn index(app: &App) -> Response {
    let dir = web_dir(app.config.web_dir.as_deref());
    match tokio::fs::read_to_string(dir.join("index.html")).await {
        Ok(html) => with_policy(Html(html).into_response()),
        Err(_) => not_built(&dir),
    }
}

/// `GET /p/<name>` and `GET /console`: the app's one page.
pub(crate) async fn page(State(app): State<Arc<App>>) -> Response {
    index(&app).await
}

/// `GET /p/<name>` (the name is read by the app).
pub(crate) async fn portal_page(
    State(app): State<Arc<App>>,
    UrlPath(_name): UrlPath<String>,
) -> Response {
    index(&app).await
}

/// `GET /app/<file>`: the app's scripts and styles.
pub(crate) async fn asset(State(app): State<Arc<App>>, UrlPath(file): UrlPath<String>) -> Response {
    let safe = !file.is_empty()
        && !file.starts_with('.')
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    let kind = match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("wav") => "audio/wav",
        _ => "",
    };
    if !safe || kind.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let dir = web_dir(app.config.web_dir.as_deref());
    match tokio::fs::read(dir.join(&file)).await {
        Ok(bytes) => with_policy(([(header::CONTENT_TYPE, kind)], bytes).into_response()),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The query of a SmartPin form.
#[derive(Debug, Deserialize)]
pub(crate) struct PinQuery {
    code: Option<String>,
}

/// `GET /p/<name>/join?code=…`: a SmartPin page's form. A code made for another portal is
/// refused here exactly like an unknown one (a customer on the wrong page learns nothing
/// about other portals' codes); the right one goes on to its join page.
pub(crate) async fn portal_pin(
    State(app): State<Arc<App>>,
    connect: axum::extract::ConnectInfo<std::net::SocketAddr>,
    UrlPath(name): UrlPath<String>,
    Query(query): Query<PinQuery>,
) -> Response {
    let back = format!("/p/{}", crate::web::escape(&name));
    let Some(Ok(code)) = query.code.as_deref().map(str::parse::<SessionCode>) else {
        return crate::web::message_page(
            StatusCode::BAD_REQUEST,
            "That is not a support code",
            "A support code has exactly 9 digits.",
            &back,
        );
    };
    let now = unix_now();
    let found = app.storage.call(move |b| b.find_code(code, now)).await;
    match found {
        Ok(Some(record))
            if record.portal == name
                && matches!(
                    crate::codes::status(record.state, record.expires_at, now),
                    crate::codes::CodeStatus::Active { .. }
                ) =>
        {
            Redirect::to(&format!("/join/{}", code.digits())).into_response()
        }
        Ok(_) => {
            // Wrong portal or no such code: both cost the address a code attempt.
            if let Err(wait) = app.charge(crate::Limit::Codes, connect.0.ip()) {
                let msg = format!(
                    "Too many wrong codes from your address; try again in {}.",
                    crate::ratelimit::minutes_text(wait)
                );
                return crate::web::message_page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Please wait",
                    &msg,
                    &back,
                );
            }
            crate::web::message_page(
                StatusCode::NOT_FOUND,
                "That code does not work here",
                "Check the 9 digits your representative gave you, or ask them for a new code.",
                &back,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "storage failure");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
