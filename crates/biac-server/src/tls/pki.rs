//! A demo PKI (`biac certs`, `biac demo`): one CA per nation, a hub CA for the
//! server certificate, and user certificates. ECDSA P-256 keys, generated with rcgen.
//!
//! Layout under the output directory (PEM; keys mode 0600):
//!
//! ```text
//! ca/JPN.pem ca/JPN.key ...   one CA per nation (subject C=JP, O=biac demo PKI)
//! ca/hub.pem ca/hub.key       the CA of the server certificate (clients trust it)
//! server/cert.pem server/key.pem   server certificate for localhost and 127.0.0.1
//! users/NAME.pem users/NAME.key    one certificate per user, e.g. analyst-jpn
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use biac_model::Nation;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use super::{alpha2, file_err, TlsError};

const ORG: &str = "biac demo PKI";

/// A CA that can issue certificates.
pub struct Ca {
    /// The nation it vouches for; `None` for the hub CA.
    pub nation: Option<Nation>,
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// An issued certificate and its key.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

fn validity(p: &mut CertificateParams, days: i64) {
    // An hour back: clocks of a demo's machines differ a little.
    let now = OffsetDateTime::now_utc();
    p.not_before = now - Duration::hours(1);
    p.not_after = now + Duration::days(days);
}

impl Ca {
    /// The CA of `nation`: subject `C=<alpha-2>, O=biac demo PKI, CN=biac <N> CA`.
    pub fn national(nation: Nation) -> Result<Ca, TlsError> {
        Ca::generate(Some(nation), &format!("biac {nation} CA"))
    }

    /// The hub's own CA, which issues the server certificate.
    pub fn hub() -> Result<Ca, TlsError> {
        Ca::generate(None, "biac hub CA")
    }

    fn generate(nation: Option<Nation>, cn: &str) -> Result<Ca, TlsError> {
        let mut p = CertificateParams::default();
        if let Some(n) = nation {
            p.distinguished_name
                .push(DnType::CountryName, alpha2(n).to_string());
        }
        p.distinguished_name.push(DnType::OrganizationName, ORG);
        p.distinguished_name.push(DnType::CommonName, cn);
        // Issues end-entity certificates only: no sub-CAs to escape the nation rule.
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        validity(&mut p, 3650);
        let key = KeyPair::generate()?;
        let cert = p.self_signed(&key)?;
        Ok(Ca {
            nation,
            cert_pem: cert.pem(),
            issuer: Issuer::new(p, key),
        })
    }

    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// A client certificate for `common_name` naming `nation` (`C=`). `biac certs`
    /// only asks a CA for its own nationals; tests ask for others to prove the
    /// server refuses them.
    pub fn issue_user(&self, common_name: &str, nation: Nation) -> Result<Issued, TlsError> {
        let mut p = CertificateParams::default();
        p.distinguished_name
            .push(DnType::CountryName, alpha2(nation).to_string());
        p.distinguished_name.push(DnType::OrganizationName, ORG);
        p.distinguished_name.push(DnType::CommonName, common_name);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        p.use_authority_key_identifier_extension = true;
        validity(&mut p, 825);
        self.sign(p)
    }

    /// A server certificate for `names` (DNS names and IP addresses).
    pub fn issue_server(&self, names: &[&str]) -> Result<Issued, TlsError> {
        let mut p =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
        p.distinguished_name.push(DnType::OrganizationName, ORG);
        p.distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("biac"));
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.use_authority_key_identifier_extension = true;
        validity(&mut p, 825);
        self.sign(p)
    }

    fn sign(&self, p: CertificateParams) -> Result<Issued, TlsError> {
        let key = KeyPair::generate()?;
        let cert = p.signed_by(&key, &self.issuer)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// The files of a demo PKI under its directory.
#[derive(Clone, Debug)]
pub struct PkiLayout {
    pub dir: PathBuf,
}

impl PkiLayout {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        PkiLayout { dir: dir.into() }
    }
    pub fn ca_cert(&self, n: Nation) -> PathBuf {
        self.dir.join(format!("ca/{n}.pem"))
    }
    pub fn ca_key(&self, n: Nation) -> PathBuf {
        self.dir.join(format!("ca/{n}.key"))
    }
    pub fn hub_ca_cert(&self) -> PathBuf {
        self.dir.join("ca/hub.pem")
    }
    pub fn server_cert(&self) -> PathBuf {
        self.dir.join("server/cert.pem")
    }
    pub fn server_key(&self) -> PathBuf {
        self.dir.join("server/key.pem")
    }
    pub fn user_cert(&self, name: &str) -> PathBuf {
        self.dir.join(format!("users/{name}.pem"))
    }
    pub fn user_key(&self, name: &str) -> PathBuf {
        self.dir.join(format!("users/{name}.key"))
    }
    /// The TLS files of a server that accepts the nationals of `nations`.
    pub fn tls_files(&self, nations: &[Nation]) -> super::TlsFiles {
        super::TlsFiles {
            server_cert: self.server_cert(),
            server_key: self.server_key(),
            client_cas: nations.iter().map(|n| (*n, self.ca_cert(*n))).collect(),
        }
    }
}

/// The default user of a nation: `analyst-jpn`.
pub fn default_user(n: Nation) -> String {
    format!("analyst-{}", n.as_str().to_ascii_lowercase())
}

/// Write a new file; never replaces one (keys are not silently regenerated). Keys
/// are created 0600 on Unix.
fn write_new(path: &Path, text: &str, secret: bool) -> Result<(), TlsError> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = o.open(path).map_err(file_err(path))?;
    f.write_all(text.as_bytes()).map_err(file_err(path))
}

/// Generate a demo PKI into `dir`: a CA per nation of `nations`, the hub CA and a
/// server certificate for `localhost`/`127.0.0.1`, and a certificate per user (name,
/// nation) issued by that nation's CA. Refuses when `dir` already holds a PKI.
pub fn generate(
    dir: &Path,
    nations: &[Nation],
    users: &[(String, Nation)],
) -> Result<PkiLayout, TlsError> {
    let l = PkiLayout::new(dir);
    if l.dir.join("ca").exists() {
        return Err(TlsError::PkiExists(dir.to_path_buf()));
    }
    for sub in ["ca", "server", "users"] {
        let sub = dir.join(sub);
        std::fs::create_dir_all(&sub).map_err(file_err(&sub))?;
    }
    for (name, n) in users {
        if !nations.contains(n) {
            return Err(TlsError::NoCaForUser {
                user: name.clone(),
                nation: *n,
            });
        }
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            || name.starts_with('.')
        {
            return Err(TlsError::UserName(name.clone()));
        }
    }
    let hub = Ca::hub()?;
    write_new(&l.hub_ca_cert(), &hub.cert_pem, false)?;
    write_new(&l.dir.join("ca/hub.key"), &hub.key_pem(), true)?;
    let server = hub.issue_server(&["localhost", "127.0.0.1"])?;
    write_new(&l.server_cert(), &server.cert_pem, false)?;
    write_new(&l.server_key(), &server.key_pem, true)?;
    for n in nations {
        let ca = Ca::national(*n)?;
        write_new(&l.ca_cert(*n), &ca.cert_pem, false)?;
        write_new(&l.ca_key(*n), &ca.key_pem(), true)?;
        for (name, _) in users.iter().filter(|(_, un)| un == n) {
            let u = ca.issue_user(name, *n)?;
            write_new(&l.user_cert(name), &u.cert_pem, false)?;
            write_new(&l.user_key(name), &u.key_pem, true)?;
        }
    }
    Ok(l)
}
