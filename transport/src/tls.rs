//! How the agent and the viewer decide to trust a portal over `https`/`wss` (signalling and
//! relay alike), and the portal address that carries that decision.
//!
//! Three ways, chosen per portal address, never a silent downgrade:
//! - a **pin** carried in the link: `https://help.example:8470#pin=sha256:<64 hex>` (what a
//!   portal with a self-signed certificate puts into its join links). The certificate whose
//!   SHA-256 equals the pin is trusted, like an SSH host key; any other is refused.
//! - a **CA file** given to the binary (`--ca-file`, a private company CA): certificates are
//!   verified against it alone (name, expiry, chain).
//! - otherwise the **system's roots** (the operating system's store), with the usual checks.
//!
//! The crypto provider is ring, the one webrtc's DTLS already uses.
//!
//! ```
//! use tandem_transport::tls::PortalAddress;
//! let pin = "ab".repeat(32);
//! let a: PortalAddress = format!("https://127.0.0.1:8470/join/123456789#pin=sha256:{pin}").parse().unwrap();
//! assert_eq!(a.base(), "https://127.0.0.1:8470");
//! assert_eq!(a.websocket_url("/ws"), "wss://127.0.0.1:8470/ws");
//! assert!(a.pin().is_some());
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Why a TLS set-up could not be made or a portal address not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The address is not `http(s)://host[:port][/…][#pin=sha256:…]`.
    #[error("'{0}' is not a portal address (expected https://host:port or http://host:port)")]
    BadAddress(String),
    /// The pin is not `sha256:` followed by 64 hexadecimal digits.
    #[error("the certificate pin '{0}' is not sha256: followed by 64 hexadecimal digits")]
    BadPin(String),
    /// The CA file could not be read or holds no certificate.
    #[error("cannot use the CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The system's certificate store could not be read.
    #[error("cannot read the system's trusted certificates: {0}")]
    SystemRoots(String),
}

/// The SHA-256 of a certificate's DER encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertPin([u8; 32]);

impl CertPin {
    /// The pin of `der`.
    pub fn of(der: &[u8]) -> CertPin {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut pin = [0u8; 32];
        pin.copy_from_slice(digest.as_ref());
        CertPin(pin)
    }
}

impl fmt::Display for CertPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sha256:")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for CertPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for CertPin {
    type Err = TlsError;
    fn from_str(s: &str) -> Result<CertPin, TlsError> {
        let bad = || TlsError::BadPin(s.chars().take(80).collect());
        let hex = s.strip_prefix("sha256:").ok_or_else(bad)?;
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut pin = [0u8; 32];
        for (i, byte) in pin.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(CertPin(pin))
    }
}

/// A portal's base address plus, for `https`, how to trust it.
#[derive(Clone, PartialEq, Eq)]
pub struct PortalAddress {
    secure: bool,
    /// `host[:port]`, as given.
    authority: String,
    pin: Option<CertPin>,
}

impl PortalAddress {
    /// `https://host:port` or `http://host:port`: what links and messages start with.
    pub fn base(&self) -> String {
        let scheme = if self.secure { "https" } else { "http" };
        format!("{scheme}://{}", self.authority)
    }

    /// The base address with its pin (`…#pin=sha256:…`), to hand on to another connection.
    pub fn with_pin(&self) -> String {
        match self.pin {
            Some(pin) => format!("{}#pin={pin}", self.base()),
            None => self.base(),
        }
    }

    /// `ws(s)://host:port<path>`.
    pub fn websocket_url(&self, path: &str) -> String {
        let scheme = if self.secure { "wss" } else { "ws" };
        format!("{scheme}://{}{path}", self.authority)
    }

    /// Whether the portal is reached over TLS.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The certificate pin the address carries.
    pub fn pin(&self) -> Option<CertPin> {
        self.pin
    }

    /// The TLS client settings for this address (`None` for plain `http`).
    pub fn client_config(&self) -> Result<Option<Arc<ClientConfig>>, TlsError> {
        if !self.secure {
            return Ok(None);
        }
        let verifier: Arc<dyn ServerCertVerifier> = match (self.pin, configured_ca_file()) {
            (Some(pin), _) => Arc::new(PinVerifier::new(pin)),
            (None, Some(ca)) => webpki_verifier(roots_from_file(ca)?)?,
            (None, None) => webpki_verifier(system_roots()?)?,
        };
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::SystemRoots(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Some(Arc::new(config)))
    }
}

impl fmt::Display for PortalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.with_pin())
    }
}

impl fmt::Debug for PortalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PortalAddress({self})")
    }
}

impl std::str::FromStr for PortalAddress {
    type Err = TlsError;

    /// Takes `http(s)://host[:port][/any/path][?query][#pin=sha256:…]` (`ws(s)` too).
    fn from_str(s: &str) -> Result<PortalAddress, TlsError> {
        let bad = || TlsError::BadAddress(s.chars().take(200).collect());
        let (rest, fragment) = match s.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (s, None),
        };
        let (scheme, rest) = rest.split_once("://").ok_or_else(bad)?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "http" | "ws" => false,
            "https" | "wss" => true,
            _ => return Err(bad()),
        };
        let authority = rest
            .split(['/', '?'])
            .next()
            .filter(|h| !h.is_empty() && !h.contains('@') && !h.chars().any(char::is_whitespace))
            .ok_or_else(bad)?;
        let pin = match fragment {
            None | Some("") => None,
            Some(fragment) => {
                let value = fragment
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("pin="))
                    .ok_or_else(bad)?;
                Some(value.parse()?)
            }
        };
        if pin.is_some() && !secure {
            // A pin on a plain address would promise a check that never happens.
            return Err(bad());
        }
        Ok(PortalAddress {
            secure,
            authority: authority.to_owned(),
            pin,
        })
    }
}

static CA_FILE: OnceLock<PathBuf> = OnceLock::new();

/// Makes every `https` portal address without a pin verify against the certificates in
/// `path` instead of the system's roots (the binaries' `--ca-file`). Checked now, so a
/// wrong file is reported at start-up. Set once per process.
pub fn use_ca_file(path: &Path) -> Result<(), TlsError> {
    roots_from_file(path)?;
    let _ = CA_FILE.set(path.to_owned());
    Ok(())
}

fn configured_ca_file() -> Option<&'static Path> {
    CA_FILE.get().map(PathBuf::as_path)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn webpki_verifier(roots: RootCertStore) -> Result<Arc<dyn ServerCertVerifier>, TlsError> {
    rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map(|v| v as Arc<dyn ServerCertVerifier>)
        .map_err(|e| TlsError::SystemRoots(e.to_string()))
}

fn roots_from_file(path: &Path) -> Result<RootCertStore, TlsError> {
    let fail = |reason: String| TlsError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(fail("no usable certificate in it".into()));
    }
    Ok(roots)
}

fn system_roots() -> Result<RootCertStore, TlsError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        let why = found
            .errors
            .first()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "the store is empty (is ca-certificates installed?)".into());
        return Err(TlsError::SystemRoots(why));
    }
    Ok(roots)
}

/// Trusts exactly the certificate with the pinned digest; the handshake's signatures are
/// still checked, so only the holder of that certificate's key gets through.
#[derive(Debug)]
struct PinVerifier {
    pin: CertPin,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinVerifier {
    fn new(pin: CertPin) -> PinVerifier {
        PinVerifier {
            pin,
            algorithms: provider().signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = CertPin::of(end_entity);
        if got == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the portal's certificate ({got}) does not match the pin in your link ({}); \
                 someone may be impersonating the portal, or its certificate changed: ask for a new link",
                self.pin
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Opens a WebSocket to `url` on `address`, over TLS as the address says; no Nagle delay.
pub(crate) async fn connect_websocket(
    address: &PortalAddress,
    url: &str,
    config: Option<tokio_tungstenite::tungstenite::protocol::WebSocketConfig>,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    String,
> {
    let connector = match address.client_config().map_err(|e| e.to_string())? {
        Some(tls) => Some(tokio_tungstenite::Connector::Rustls(tls)),
        None => Some(tokio_tungstenite::Connector::Plain),
    };
    tokio_tungstenite::connect_async_tls_with_config(url, config, true, connector)
        .await
        .map(|(ws, _)| ws)
        .map_err(|e| describe_ws_error(&e))
}

/// Words for a failed connection; certificate problems say so plainly.
fn describe_ws_error(e: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    let text = e.to_string();
    let tls = matches!(e, Error::Tls(_))
        || text.contains("certificate")
        || text.contains("InvalidCertificate");
    if !tls {
        return text;
    }
    let reason = if text.contains("Expired") {
        "the portal's certificate has expired".to_owned()
    } else if text.contains("UnknownIssuer") {
        "the portal's certificate is not signed by an authority this computer trusts \
         (a self-signed portal needs the link with its pin, a private CA needs --ca-file)"
            .to_owned()
    } else if text.contains("NotValidForName") {
        "the portal's certificate is for a different name than the address".to_owned()
    } else {
        text
    };
    format!("the portal's certificate could not be verified: {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin_text() -> String {
        format!("sha256:{}", "0f".repeat(32))
    }

    #[test]
    fn addresses_parse_with_and_without_pins() {
        let a: PortalAddress = "http://127.0.0.1:8470/join/123".parse().expect("plain");
        assert_eq!(a.base(), "http://127.0.0.1:8470");
        assert_eq!(a.websocket_url("/ws"), "ws://127.0.0.1:8470/ws");
        assert!(!a.is_secure());
        let b: PortalAddress = format!("https://h.example/join/1?t=abc#pin={}", pin_text())
            .parse()
            .expect("pinned");
        assert_eq!(b.base(), "https://h.example");
        assert_eq!(
            b.with_pin(),
            format!("https://h.example#pin={}", pin_text())
        );
        assert_eq!(b.websocket_url("/relay/x"), "wss://h.example/relay/x");
        let again: PortalAddress = b.with_pin().parse().expect("round trip");
        assert_eq!(again, b);
    }

    #[test]
    fn bad_addresses_and_pins_are_refused() {
        for bad in [
            "127.0.0.1:8470",
            "ftp://x",
            "http://",
            "https:///ws",
            "https://user@host/",
            "https://h#pin=sha256:12",
            "https://h#pin=md5:00",
            "https://h#other=1",
        ] {
            assert!(bad.parse::<PortalAddress>().is_err(), "{bad}");
        }
        // A pin on plain http would never be checked.
        assert!(
            format!("http://h#pin={}", pin_text())
                .parse::<PortalAddress>()
                .is_err()
        );
        assert!(
            format!("sha256:{}", "zz".repeat(32))
                .parse::<CertPin>()
                .is_err()
        );
    }

    #[test]
    fn pins_round_trip_and_differ() {
        let a = CertPin::of(b"one");
        let b = CertPin::of(b"two");
        assert_ne!(a, b);
        assert_eq!(a.to_string().parse::<CertPin>(), Ok(a));
        assert_eq!(a.to_string().len(), "sha256:".len() + 64);
    }

    #[test]
    fn a_missing_ca_file_is_a_clear_error() {
        let err = use_ca_file(Path::new("/nonexistent/ca.pem")).expect_err("missing");
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }
}
