//! The customer app as a download: one build per platform, stamped with the session's join
//! link for each customer (see [`tandem_protocol::stamp`]), so that the customer opens the file
//! and joins with nothing to type.
//!
//! `GET /join/<code>/download/<platform>?t=<link token>` serves it only for an active code
//! whose link token is right: the token is in the join page the customer already reached, and
//! unguessable, so the download is never a way to try codes. Downloading does not use the code
//! up; running the file does, once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tandem_protocol::SessionCode;
use tandem_protocol::stamp::{self, Stamp};

use crate::App;
use crate::codes::{self, CodeStatus};
use crate::storage::unix_now;
use crate::web::{LinkQuery, error_page, escape};

/// A platform the customer app is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux on x86_64: an ELF program, run after `chmod +x`.
    LinuxX86_64,
}

impl Platform {
    /// Every platform a portal can serve.
    pub const ALL: [Platform; 1] = [Platform::LinuxX86_64];

    /// The name in download addresses and in the downloads folder's file names.
    pub fn name(self) -> &'static str {
        match self {
            Platform::LinuxX86_64 => "linux-x86_64",
        }
    }

    /// The platform named `name`.
    pub fn from_name(name: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.name() == name)
    }

    /// For people: "Linux".
    pub fn label(self) -> &'static str {
        match self {
            Platform::LinuxX86_64 => "Linux",
        }
    }

    /// The build's file in the downloads folder.
    pub fn file_name(self) -> String {
        format!("tandem-agent-{}", self.name())
    }

    /// The name the customer's browser saves it under.
    fn saved_as(self, code: SessionCode) -> String {
        format!("tandem-support-{}", code.digits())
    }
}

/// The customer's computer, from the browser's `User-Agent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desktop {
    /// A platform with a build.
    Supported(Platform),
    /// A system the customer app is not built for (yet): named for the page.
    Unsupported(&'static str),
}

/// Which computer a `User-Agent` header describes (phones are not desktops).
pub fn desktop_of(user_agent: &str) -> Desktop {
    let ua = user_agent.to_ascii_lowercase();
    if ua.contains("android") || ua.contains("iphone") || ua.contains("ipad") {
        Desktop::Unsupported("phones and tablets")
    } else if ua.contains("windows") {
        Desktop::Unsupported("Windows")
    } else if ua.contains("macintosh") || ua.contains("mac os x") {
        Desktop::Unsupported("macOS")
    } else if ua.contains("linux") && (ua.contains("x86_64") || ua.contains("amd64")) {
        Desktop::Supported(Platform::LinuxX86_64)
    } else if ua.contains("linux") {
        Desktop::Unsupported("this kind of Linux computer")
    } else {
        Desktop::Unsupported("this computer")
    }
}

/// The folder the builds are served from: `--downloads-dir`, else `../lib/tandem/downloads`
/// beside an installed portal; `None` when neither exists (then a build beside the portal's
/// own binary, as in a development tree, is served for this machine's platform).
fn downloads_dir(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = configured {
        return Some(dir.to_owned());
    }
    let exe = std::env::current_exe().ok()?;
    let installed = exe.parent()?.parent()?.join("lib/tandem/downloads");
    installed.is_dir().then_some(installed)
}

/// Where `platform`'s build is, if this portal has it.
pub fn build_path(configured: Option<&Path>, platform: Platform) -> Option<PathBuf> {
    let path = match downloads_dir(configured) {
        Some(dir) => dir.join(platform.file_name()),
        None => {
            let here = cfg!(all(target_os = "linux", target_arch = "x86_64"))
                .then_some(Platform::LinuxX86_64);
            if here != Some(platform) {
                return None;
            }
            std::env::current_exe().ok()?.parent()?.join("tandem-agent")
        }
    };
    path.is_file().then_some(path)
}

/// The build last read, kept in memory while its file is unchanged: every download shares it.
#[derive(Debug, Default)]
pub(crate) struct Builds {
    cached: Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    path: PathBuf,
    modified: Option<SystemTime>,
    len: u64,
    bytes: Bytes,
}

impl Builds {
    async fn read(&self, path: &Path) -> std::io::Result<Bytes> {
        let meta = tokio::fs::metadata(path).await?;
        let modified = meta.modified().ok();
        {
            let cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(c) = cached.as_ref()
                && c.path == path
                && c.modified == modified
                && c.len == meta.len()
            {
                return Ok(c.bytes.clone());
            }
        }
        let bytes = Bytes::from(tokio::fs::read(path).await?);
        // A build that is itself stamped would carry a stale link after the new one: refuse.
        if stamp::read_tail(&bytes[bytes.len().saturating_sub(stamp::MAX_STAMP_BYTES)..])
            != Ok(None)
        {
            return Err(std::io::Error::other(
                "the build in the downloads folder is already stamped",
            ));
        }
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(Cached {
            path: path.to_owned(),
            modified,
            len: bytes.len() as u64,
            bytes: bytes.clone(),
        });
        Ok(bytes)
    }
}

/// "9.8 MB".
fn megabytes(len: u64) -> String {
    format!("{:.1} MB", len as f64 / 1_000_000.0)
}

/// The join page's "Start the session" part for `desktop`: the download with what to do with
/// it, the installed app's link, and the command line for those who prefer it.
pub(crate) fn start_section(app: &App, code: SessionCode, desktop: Desktop, rep: &str) -> String {
    let link = app.join_url(code);
    let command = format!(
        "<details><summary>Start it from a terminal instead</summary>\
         <pre><code>tandem-agent --join {}</code></pre></details>",
        escape(&shell_quoted(&link))
    );
    let installed = format!(
        "<p>Tandem Support already installed? <a data-testid=\"open-installed\" href=\"{}\">Open \
         it</a> instead.</p>",
        escape(&scheme_link(&link))
    );
    let build = match desktop {
        Desktop::Supported(platform) => {
            build_path(app.config.downloads_dir.as_deref(), platform).map(|path| (platform, path))
        }
        Desktop::Unsupported(_) => None,
    };
    let Some((platform, path)) = build else {
        let system = match desktop {
            Desktop::Supported(p) => p.label(),
            Desktop::Unsupported(name) => name,
        };
        return format!(
            "<h2>Start the session</h2>\n<p>This support portal has no support app for {} \
             yet. Please tell {} — they can help you another way.</p>\n{installed}\n{command}",
            escape(system),
            escape(rep),
        );
    };
    let size = std::fs::metadata(&path)
        .map(|m| megabytes(m.len()))
        .unwrap_or_default();
    let href = format!(
        "/join/{}/download/{}?t={}",
        code.digits(),
        platform.name(),
        app.link_key.token(code)
    );
    let saved = platform.saved_as(code);
    format!(
        "<h2>Start the session</h2>\n\
         <p><a class=\"button\" data-testid=\"download\" href=\"{href}\" download=\"{saved}\">\
         Download Tandem Support for {label}</a> ({size}; nothing to install)</p>\n\
         <ol>\n<li>Open your Downloads folder and find <strong>{saved}</strong>.</li>\n\
         <li>Allow it to run: right-click it, choose <em>Properties</em>, then \
         <em>Permissions</em>, and tick <em>Allow executing file as program</em>. (In a \
         terminal: <code>chmod +x ~/Downloads/{saved}</code>.)</li>\n\
         <li>Double-click it. A small window asks whether {rep} may see your screen; nothing \
         is shown before you allow it.</li>\n</ol>\n{installed}\n{command}",
        label = platform.label(),
        rep = escape(rep),
    )
}

/// `text` as one word for a POSIX shell: in single quotes, a quote in it as `'\''`.
fn shell_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The join link as the installed app's URL: `tandem-agent://host/join/…` for an https link,
/// `tandem-agent:http://…` for a plain one (a loopback portal).
fn scheme_link(link: &str) -> String {
    match link.strip_prefix("https://") {
        Some(rest) => format!("tandem-agent://{rest}"),
        None => format!("tandem-agent:{link}"),
    }
}

/// `GET /join/<code>/download/<platform>?t=…`: the build, stamped with the code's join link.
pub(crate) async fn download(
    State(app): State<Arc<App>>,
    UrlPath((raw, platform)): UrlPath<(String, String)>,
    Query(link): Query<LinkQuery>,
) -> Response {
    let not_valid = || {
        error_page(
            StatusCode::NOT_FOUND,
            "Download not available",
            "This download link is not valid. Open the link you were sent again.",
        )
    };
    let Ok(code) = raw.parse::<SessionCode>() else {
        return not_valid();
    };
    // The token, not a lookup, comes first: a wrong one never reaches the database.
    if !app.link_token_ok(code, link.t.as_deref()) {
        return not_valid();
    }
    let Some(platform) = Platform::from_name(&platform) else {
        return not_valid();
    };
    let now = unix_now();
    let found = app.storage.call(move |b| b.find_code(code, now)).await;
    let active = match &found {
        Ok(Some(r)) => matches!(
            codes::status(r.state, r.expires_at, now),
            CodeStatus::Active { .. }
        ),
        Ok(None) => false,
        Err(e) => {
            tracing::error!(error = %e, "storage failure");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The portal could not look up this code. Please try again in a moment.",
            );
        }
    };
    if !active {
        return error_page(
            StatusCode::GONE,
            "Code no longer valid",
            "This support code was used, cancelled or has expired. Ask your representative for a new one.",
        );
    }
    let missing = || {
        error_page(
            StatusCode::NOT_FOUND,
            "Download not available",
            &format!(
                "This support portal has no support app for {} yet.",
                platform.label()
            ),
        )
    };
    let Some(path) = build_path(app.config.downloads_dir.as_deref(), platform) else {
        return missing();
    };
    let build = match app.builds.read(&path).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "cannot read the customer app's build");
            return missing();
        }
    };
    let stamp = match stamp::append(&Stamp {
        join: app.join_url(code),
    }) {
        Ok(bytes) => Bytes::from(bytes),
        Err(e) => {
            tracing::error!(error = %e, "cannot stamp the customer app (is public-url that long?)");
            return missing();
        }
    };
    tracing::info!(code = %code.redacted(), platform = platform.name(), "customer app downloaded");
    let len = build.len() + stamp.len();
    let chunks = [Ok::<_, std::convert::Infallible>(build), Ok(stamp)];
    let mut response = Body::from_stream(futures_util::stream::iter(chunks)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        platform.saved_as(code)
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desktops_from_user_agents() {
        let chromium_linux = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(
            desktop_of(chromium_linux),
            Desktop::Supported(Platform::LinuxX86_64)
        );
        let firefox_linux =
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(
            desktop_of(firefox_linux),
            Desktop::Supported(Platform::LinuxX86_64)
        );
        let windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36";
        assert_eq!(desktop_of(windows), Desktop::Unsupported("Windows"));
        let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15";
        assert_eq!(desktop_of(mac), Desktop::Unsupported("macOS"));
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36";
        assert_eq!(
            desktop_of(android),
            Desktop::Unsupported("phones and tablets")
        );
        let arm = "Mozilla/5.0 (X11; Linux aarch64) AppleWebKit/537.36";
        assert_eq!(
            desktop_of(arm),
            Desktop::Unsupported("this kind of Linux computer")
        );
        assert_eq!(desktop_of(""), Desktop::Unsupported("this computer"));
    }

    #[test]
    fn platform_names_round_trip() {
        for p in Platform::ALL {
            assert_eq!(Platform::from_name(p.name()), Some(p));
        }
        assert_eq!(Platform::from_name("../etc"), None);
    }

    #[test]
    fn installed_app_links() {
        assert_eq!(
            scheme_link("https://h:8470/join/123456789?t=ab#pin=sha256:x"),
            "tandem-agent://h:8470/join/123456789?t=ab#pin=sha256:x"
        );
        assert_eq!(
            scheme_link("http://127.0.0.1:1/join/123456789?t=ab"),
            "tandem-agent:http://127.0.0.1:1/join/123456789?t=ab"
        );
    }

    #[test]
    fn shell_words() {
        assert_eq!(
            shell_quoted("https://h/join/1?t=a"),
            "'https://h/join/1?t=a'"
        );
        assert_eq!(shell_quoted("it's"), "'it'\\''s'");
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(megabytes(9_812_345), "9.8 MB");
    }
}
