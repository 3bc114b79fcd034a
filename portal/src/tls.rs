//! The portal's own HTTPS/WSS: its certificate and key, and keeping them current.
//!
//! - Given files (`--tls-cert`, `--tls-key`, PEM): served as they are, and read again when
//!   either file changes (a renewal by certbot or similar needs no restart). A renewal that
//!   does not parse is logged and the previous certificate stays in use.
//! - No files: a self-signed certificate is generated on first start, kept in the TLS
//!   folder (key 0600) and reused afterwards. Browsers warn about it; the agent and viewer
//!   trust it through its SHA-256 pin, which the portal prints and puts into its join links.
//!
//! The crypto provider is ring, as for webrtc's DTLS.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// How often the certificate files are checked for a change.
pub const RELOAD_CHECK_EVERY: Duration = Duration::from_secs(2);

/// File names inside the TLS folder for a generated certificate.
const SELF_SIGNED_CERT: &str = "portal-cert.pem";
const SELF_SIGNED_KEY: &str = "portal-key.pem";

/// Where the portal's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsSource {
    /// Plain HTTP: only on a loopback address, or behind a TLS proxy (see
    /// [`crate::Config::behind_proxy`]).
    Off,
    /// PEM certificate chain and private key files.
    Files {
        /// The certificate chain (leaf first).
        cert: PathBuf,
        /// Its private key.
        key: PathBuf,
    },
    /// A self-signed certificate kept in this folder, generated when missing.
    SelfSigned {
        /// The folder (created 0700 if missing).
        dir: PathBuf,
        /// Names the certificate is made for (besides `localhost` and the listen address).
        names: Vec<String>,
    },
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The certificate or key is not usable.
    #[error("the TLS certificate or key is not usable: {0}")]
    Unusable(String),
}

/// A running TLS set-up: the server settings and, for a self-signed certificate, its pin.
pub struct PortalTls {
    /// Settings for the acceptor; the certificate inside may change while running.
    pub config: Arc<ServerConfig>,
    /// `sha256:<hex>` of a self-signed certificate: links carry it.
    pub pin: Option<String>,
    resolver: Arc<Reloading>,
}

impl std::fmt::Debug for PortalTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalTls").field("pin", &self.pin).finish()
    }
}

impl PortalTls {
    /// Loads (or, for a self-signed set-up, creates) the certificate. `None` for `Off`.
    pub fn load(source: &TlsSource, listen_host: &str) -> Result<Option<PortalTls>, TlsSetupError> {
        let (cert, key, self_signed) = match source {
            TlsSource::Off => return Ok(None),
            TlsSource::Files { cert, key } => (cert.clone(), key.clone(), false),
            TlsSource::SelfSigned { dir, names } => {
                let mut all = vec!["localhost".to_owned(), listen_host.to_owned()];
                all.extend(names.iter().cloned());
                let (cert, key) = ensure_self_signed(dir, all)?;
                (cert, key, true)
            }
        };
        let loaded = read_pair(&cert, &key)?;
        let pin = self_signed
            .then(|| loaded.certified.cert.first().map(|c| pin_of(c)))
            .flatten();
        let resolver = Arc::new(Reloading {
            cert,
            key,
            current: RwLock::new(loaded),
        });
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| TlsSetupError::Unusable(e.to_string()))?
                .with_no_client_auth()
                .with_cert_resolver(Arc::clone(&resolver) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Some(PortalTls {
            config: Arc::new(config),
            pin,
            resolver,
        }))
    }

    /// Reads the files again if they changed since the last read; `Ok(true)` if the
    /// certificate in use changed. On an error the previous certificate stays in use.
    pub fn reload_if_changed(&self) -> Result<bool, TlsSetupError> {
        self.resolver.reload_if_changed()
    }
}

/// `sha256:<64 hex>` of a DER certificate.
pub fn pin_of(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

struct Loaded {
    certified: Arc<CertifiedKey>,
    stamps: (Option<SystemTime>, Option<SystemTime>),
}

struct Reloading {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Loaded>,
}

impl std::fmt::Debug for Reloading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloading")
            .field("cert", &self.cert)
            .finish()
    }
}

impl Reloading {
    fn reload_if_changed(&self) -> Result<bool, TlsSetupError> {
        let stamps = (modified(&self.cert), modified(&self.key));
        {
            let current = self.current.read().unwrap_or_else(|e| e.into_inner());
            if current.stamps == stamps {
                return Ok(false);
            }
        }
        let loaded = read_pair(&self.cert, &self.key)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = loaded;
        Ok(true)
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        Some(Arc::clone(&current.certified))
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn read_pair(cert: &Path, key: &Path) -> Result<Loaded, TlsSetupError> {
    let stamps = (modified(cert), modified(key));
    let file_err = |path: &Path, e: &dyn std::fmt::Display| TlsSetupError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_err(cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_err(cert, &e))?;
    if chain.is_empty() {
        return Err(file_err(cert, &"no certificate in the file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| file_err(key, &e))?;
    let provider = rustls::crypto::ring::default_provider();
    let certified = CertifiedKey::from_der(chain, key_der, &provider)
        .map_err(|e| TlsSetupError::Unusable(e.to_string()))?;
    Ok(Loaded {
        certified: Arc::new(certified),
        stamps,
    })
}

/// The self-signed pair in `dir`, generated (for `names`) if it is not there yet.
fn ensure_self_signed(dir: &Path, names: Vec<String>) -> Result<(PathBuf, PathBuf), TlsSetupError> {
    let cert = dir.join(SELF_SIGNED_CERT);
    let key = dir.join(SELF_SIGNED_KEY);
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    let file_err = |path: &Path, e: std::io::Error| TlsSetupError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    create_private_dir(dir).map_err(|e| file_err(dir, e))?;
    let mut names = names;
    names.sort();
    names.dedup();
    let generated = rcgen::generate_simple_self_signed(names)
        .map_err(|e| TlsSetupError::Unusable(e.to_string()))?;
    write_private(&key, generated.signing_key.serialize_pem().as_bytes())
        .map_err(|e| file_err(&key, e))?;
    std::fs::write(&cert, generated.cert.pem()).map_err(|e| file_err(&cert, e))?;
    tracing::info!(cert = %cert.display(), "generated a self-signed TLS certificate");
    Ok((cert, key))
}

/// Creates `dir` (and parents) readable only by this user.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes a new file readable only by this user (fails if it exists).
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tandem-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_self_signed_certificate_is_made_once_and_kept_private() {
        let dir = temp_dir("self");
        let source = TlsSource::SelfSigned {
            dir: dir.clone(),
            names: vec!["help.example".into()],
        };
        let first = PortalTls::load(&source, "127.0.0.1")
            .expect("loads")
            .expect("on");
        let second = PortalTls::load(&source, "127.0.0.1")
            .expect("loads")
            .expect("on");
        let pin = first.pin.clone().expect("self-signed has a pin");
        assert!(pin.starts_with("sha256:") && pin.len() == 71, "{pin}");
        assert_eq!(first.pin, second.pin, "kept across starts");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: &Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
            assert_eq!(mode(&dir.join(SELF_SIGNED_KEY)), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn changed_files_are_picked_up_and_a_broken_renewal_keeps_the_old_one() {
        let dir = temp_dir("reload");
        let a = TlsSource::SelfSigned {
            dir: dir.join("a"),
            names: vec![],
        };
        let b = TlsSource::SelfSigned {
            dir: dir.join("b"),
            names: vec![],
        };
        let a_tls = PortalTls::load(&a, "127.0.0.1").expect("a").expect("on");
        let b_tls = PortalTls::load(&b, "127.0.0.1").expect("b").expect("on");
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::copy(dir.join("a").join(SELF_SIGNED_CERT), &cert).expect("copy");
        std::fs::copy(dir.join("a").join(SELF_SIGNED_KEY), &key).expect("copy");
        let files = TlsSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        };
        let tls = PortalTls::load(&files, "127.0.0.1")
            .expect("files")
            .expect("on");
        let served = || {
            let current = tls.resolver.current.read().expect("lock");
            pin_of(&current.certified.cert[0])
        };
        assert_eq!(Some(served()), a_tls.pin);
        assert!(!tls.reload_if_changed().expect("unchanged"));
        // A renewal: new certificate and key.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::copy(dir.join("b").join(SELF_SIGNED_CERT), &cert).expect("copy");
        std::fs::copy(dir.join("b").join(SELF_SIGNED_KEY), &key).expect("copy");
        let bump = SystemTime::now() + Duration::from_secs(5);
        let f = std::fs::File::options()
            .append(true)
            .open(&cert)
            .expect("open");
        f.set_modified(bump).expect("touch");
        assert!(tls.reload_if_changed().expect("reloads"));
        assert_eq!(Some(served()), b_tls.pin);
        // A broken renewal is refused and the served certificate stays.
        std::fs::write(&cert, "not a certificate").expect("write");
        let f = std::fs::File::options()
            .append(true)
            .open(&cert)
            .expect("open");
        f.set_modified(bump + Duration::from_secs(5))
            .expect("touch");
        assert!(tls.reload_if_changed().is_err());
        assert_eq!(Some(served()), b_tls.pin);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
