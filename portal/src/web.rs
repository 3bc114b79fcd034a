//! The customer-facing pages (and the page of a specialist's support key): plain HTML, no
//! scripts. Every piece of text a person typed
//! (customer and representative names) goes through [`escape`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_protocol::SessionCode;

use crate::codes::{self, CodeRefusal, CodeStatus};
use crate::ratelimit::minutes_text;
use crate::storage::{KeyState, SpecialistKey, unix_now};
use crate::ws::{KEY_CANCELLED, SESSION_OVER};
use crate::{App, Limit};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "123 456 789": how a code is easiest to read aloud.
fn grouped(code: SessionCode) -> String {
    // `digits()` is always exactly nine ASCII digits, so these slices are in bounds.
    let d = code.digits();
    format!("{} {} {}", &d[0..3], &d[3..6], &d[6..9])
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;\
padding:0 1rem;line-height:1.5;color:#222}h1{font-size:1.6rem}pre{background:#f3f3f3;\
padding:.8rem;overflow-x:auto}.code{font-size:1.4rem;letter-spacing:.1rem}\
input{font-size:1.4rem;width:10em}button{font-size:1.2rem}.error{color:#a00}\
a.button{display:inline-block;background:#1565c0;color:#fff;padding:.6rem 1.1rem;\
border-radius:.4rem;text-decoration:none;font-size:1.15rem}li{margin:.3rem 0}";

/// A whole page. `title` is plain text; `body` is HTML the caller escaped.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Tandem remote support</title><style>{STYLE}</style></head>\
         <body>\n{body}\n</body></html>\n",
        escape(title)
    )
}

const CODE_FORM: &str = "<form action=\"/join\" method=\"get\">\
<label for=\"code\">Support code</label><br>\
<input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"off\" \
placeholder=\"123 456 789\" required> <button type=\"submit\">Continue</button></form>";

/// `GET /`: the customer portal with the code form.
pub(crate) async fn index() -> Html<String> {
    Html(page(
        "Start a support session",
        &format!(
            "<h1>Start a remote support session</h1>\n\
             <p>Enter the 9-digit code your support representative gave you.</p>\n{CODE_FORM}"
        ),
    ))
}

/// `GET /healthz`.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

#[derive(Debug, Deserialize)]
pub(crate) struct JoinQuery {
    code: Option<String>,
}

pub(crate) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<h1>{}</h1>\n<p class=\"error\">{}</p>\n<p>Try another code:</p>\n{CODE_FORM}",
        escape(title),
        escape(message)
    );
    (status, Html(page(title, &body))).into_response()
}

/// A page with one message and a way back (`back`: a path this portal serves, escaped).
pub(crate) fn message_page(status: StatusCode, title: &str, message: &str, back: &str) -> Response {
    let body = format!(
        "<h1>{}</h1>\n<p class=\"error\">{}</p>\n<p><a href=\"{back}\">Back</a></p>",
        escape(title),
        escape(message)
    );
    (status, Html(page(title, &body))).into_response()
}

/// `GET /join?code=...`: the form's target; sends the browser to `/join/<digits>`.
pub(crate) async fn join_form(Query(query): Query<JoinQuery>) -> Response {
    match query.code.as_deref().map(str::parse::<SessionCode>) {
        Some(Ok(code)) => Redirect::to(&format!("/join/{}", code.digits())).into_response(),
        _ => error_page(
            StatusCode::BAD_REQUEST,
            "That is not a support code",
            "A support code has exactly 9 digits.",
        ),
    }
}

/// The query of a join link: `?t=<link token>`.
#[derive(Debug, Deserialize)]
pub(crate) struct LinkQuery {
    pub(crate) t: Option<String>,
}

/// `GET /join/<code>`: who invited the customer and how to start the agent.
pub(crate) async fn join_page(
    State(app): State<Arc<App>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(raw): Path<String>,
    Query(link): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let unknown = CodeRefusal::Unknown.to_string();
    let Ok(code) = raw.parse::<SessionCode>() else {
        return error_page(StatusCode::NOT_FOUND, "Code not valid", &unknown);
    };
    // The link's token proves it was sent to this person: no per-address budget then.
    let charged = !app.link_token_ok(code, link.t.as_deref());
    let forgive = |app: &App| {
        if charged {
            app.forgive(Limit::Codes, addr.ip());
        }
    };
    if charged && let Err(wait) = app.charge(Limit::Codes, addr.ip()) {
        tracing::warn!(peer = %addr.ip(), "join page refused: too many wrong codes");
        let message = format!(
            "Too many wrong codes from your address; try again in {}.",
            minutes_text(wait)
        );
        return error_page(StatusCode::TOO_MANY_REQUESTS, "Please wait", &message);
    }
    let now = unix_now();
    let looked_up = app
        .storage
        .call(move |b| Ok((b.find_code(code, now)?, b.find_specialist_key(code)?)))
        .await;
    let (found, key) = match looked_up {
        Ok(found) => found,
        Err(e) => {
            forgive(&app);
            tracing::error!(error = %e, "storage failure");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The portal could not look up this code. Please try again in a moment.",
            );
        }
    };
    // Codes and specialist keys share the digits: an active code wins, then a live key, then
    // whichever of the two was issued last.
    let code_active = found.as_ref().is_some_and(|r| {
        matches!(
            codes::status(r.state, r.expires_at, now),
            CodeStatus::Active { .. }
        )
    });
    if let Some(key) = key.filter(|k| {
        !code_active && (k.is_live() || found.as_ref().is_none_or(|c| k.created_at >= c.created_at))
    }) {
        return specialist_page(&app, &key, forgive).await;
    }
    let Some(record) = found else {
        tracing::info!(code = %code.redacted(), "join page: unknown code");
        return error_page(StatusCode::NOT_FOUND, "Code not valid", &unknown);
    };
    let left = match codes::status(record.state, record.expires_at, now) {
        CodeStatus::Active { expires_in_secs } => expires_in_secs,
        status => {
            let why = CodeRefusal::for_status(status).unwrap_or(CodeRefusal::Unknown);
            tracing::info!(code = %code.redacted(), refusal = ?why, "join page: code refused");
            return error_page(StatusCode::GONE, "Code no longer valid", &why.to_string());
        }
    };
    forgive(&app);
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let start = crate::download::start_section(
        &app,
        code,
        crate::download::desktop_of(user_agent),
        &record.rep_name,
    );
    let body = format!(
        "<h1>Remote support with {rep}</h1>\n\
         <p>Hello {customer}, <strong>{rep}</strong> invited you to a remote support \
         session.</p>\n\
         {start}\n\
         <p>If you are asked for a support code, enter \
         <strong class=\"code\">{grouped}</strong> ({digits}).</p>\n\
         <p>The code works once and expires in {left}. Nobody sees or controls your screen \
         until you allow it.</p>",
        rep = escape(&record.rep_name),
        customer = escape(&record.customer),
        grouped = grouped(code),
        digits = code.digits(),
        left = codes::duration_text(Duration::from_secs(left)),
    );
    Html(page("Your support session", &body)).into_response()
}

/// The page for a specialist's support key: the browser viewer (the web app reads the key and
/// the link token from the address, asks the specialist's name and joins). A key whose session
/// is over or that was cancelled gets a plain page instead, so nobody types a name for nothing.
async fn specialist_page(app: &App, key: &SpecialistKey, forgive: impl Fn(&App)) -> Response {
    let digits = key.key;
    if key.session_ended || !app.hub.is_live(key.session_id) {
        tracing::info!(key = %digits.redacted(), "join page: the key's session is over");
        return error_page(StatusCode::GONE, "Session over", &capitalised(SESSION_OVER));
    }
    if key.state == KeyState::Cancelled {
        tracing::info!(key = %digits.redacted(), "join page: cancelled key");
        return error_page(
            StatusCode::GONE,
            "Invitation cancelled",
            &capitalised(KEY_CANCELLED),
        );
    }
    forgive(app);
    crate::web_app::index(app).await
}

/// "The session has ended." from "the session has ended".
fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// Headers for every response: no scripts, no framing, no caching, no referrer (the URL
/// holds the code).
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // The web app's pages bring their own policy (they run our scripts); the rest run none.
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
             frame-ancestors 'none'",
        ));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("Zoë"), "Zoë");
    }

    #[test]
    fn codes_are_grouped_for_reading() {
        let code: SessionCode = "012345678".parse().expect("valid");
        assert_eq!(grouped(code), "012 345 678");
    }
}
