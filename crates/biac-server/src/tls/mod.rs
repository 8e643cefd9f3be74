//! Mutual TLS with one certificate authority per nation.
//!
//! The rule: a client certificate names its holder's nation in its subject's country
//! attribute (`C=`, ISO 3166 alpha-2: `C=JP` for JPN), exactly once; the server holds
//! one CA certificate per nation (itself marked with that nation's `C=`); and the
//! certificate must chain to **the CA of the nation it names** — never to another
//! configured CA. A Japanese CA can therefore issue certificates to Japanese
//! nationals only: a certificate it signs that says `C=US` chains to no U.S. CA and
//! is refused. [`NationVerifier`] enforces this inside the handshake, so a refused
//! client never completes it; what it proves is handed on as a [`PeerCert`].
//!
//! Why not X.509 name constraints on the CAs: webpki (rustls' verifier) does not
//! implement directoryName constraints and rejects every chain that carries one, and
//! a constraint only binds CAs that set it. The per-nation verifier binds every CA the
//! server is configured with, whatever it put in its certificate.

pub mod pki;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use biac_model::Nation;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use sha2::{Digest, Sha256};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Tag, Tagged};

use crate::peer::PeerCert;

const OID_COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const OID_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// The ISO 3166 alpha-2 code of a nation, as certificates carry it in `C=`.
pub fn alpha2(n: Nation) -> &'static str {
    match n {
        Nation::AUS => "AU",
        Nation::CAN => "CA",
        Nation::GBR => "GB",
        Nation::JPN => "JP",
        Nation::KOR => "KR",
        Nation::NZL => "NZ",
        Nation::PHL => "PH",
        Nation::USA => "US",
        Nation::IND => "IN",
    }
}

/// The nation of an alpha-2 code (exact, upper case).
pub fn from_alpha2(s: &str) -> Option<Nation> {
    Nation::ALL.iter().copied().find(|n| alpha2(*n) == s)
}

/// Why a certificate, key or TLS configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("certificate does not parse: {0}")]
    Parse(String),
    #[error("subject C= is not a string")]
    CountryNotText,
    #[error("subject C={0:?} is no known nation")]
    UnknownCountry(String),
    #[error("subject has no C= (the holder's nation)")]
    NoCountry,
    #[error("subject has {0} C= attributes")]
    ManyCountries(usize),
    #[error("no client certificate")]
    NoClientCertificate,
    #[error("no client CA configured")]
    NoClientCa,
    #[error("CA of {nation}: {source}")]
    Ca {
        nation: Nation,
        #[source]
        source: Box<TlsError>,
    },
    #[error("the CA configured for {nation} names {named} (C={}) in its subject", alpha2(*.named))]
    MisfiledCa { nation: Nation, named: Nation },
    #[error("{}: {reason}", path.display())]
    File {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("{}: no certificate in it", .0.display())]
    NoCertificate(std::path::PathBuf),
    #[error("{0}")]
    Rustls(#[from] rustls::Error),
    #[error("{0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
    #[error(
        "{} already holds a PKI (ca/); remove it or choose another directory",
        .0.display()
    )]
    PkiExists(std::path::PathBuf),
    #[error("user {user}: no CA for {nation} (add it to the nations)")]
    NoCaForUser { user: String, nation: Nation },
    #[error("user name {0:?}: use letters, digits, '-', '_', '.'")]
    UserName(String),
}

/// The crypto provider of every TLS endpoint: ring (aws-lc-rs needs cmake to build).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate's subject: its nation (the one `C=`) and common name. Any doubt — no
/// `C=`, two of them, an unknown code, an undecodable certificate — is an error.
pub fn subject_of(der: &[u8]) -> Result<(Nation, String), TlsError> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| TlsError::Parse(e.to_string()))?;
    let mut countries = Vec::new();
    let mut cn = None;
    for rdn in &cert.tbs_certificate.subject.0 {
        for atv in rdn.0.iter() {
            let text = || match atv.value.tag() {
                Tag::PrintableString | Tag::Utf8String | Tag::Ia5String => {
                    std::str::from_utf8(atv.value.value()).ok()
                }
                _ => None,
            };
            if atv.oid == OID_COUNTRY {
                countries.push(text().ok_or(TlsError::CountryNotText)?.to_string());
            } else if atv.oid == OID_COMMON_NAME && cn.is_none() {
                cn = text().map(str::to_string);
            }
        }
    }
    let nation = match countries.as_slice() {
        [c] => from_alpha2(c).ok_or_else(|| TlsError::UnknownCountry(c.clone()))?,
        [] => return Err(TlsError::NoCountry),
        _ => return Err(TlsError::ManyCountries(countries.len())),
    };
    Ok((nation, cn.unwrap_or_default()))
}

/// What a verified leaf certificate proves.
pub fn peer_cert(der: &[u8]) -> Result<PeerCert, TlsError> {
    let (nation, common_name) = subject_of(der)?;
    Ok(PeerCert {
        nation,
        common_name,
        fingerprint: Sha256::digest(der).into(),
    })
}

/// Counters of one verifier: every refusal is counted by cause.
#[derive(Debug, Default)]
pub struct VerifierStats {
    pub accepted: AtomicU64,
    /// Signed by the CA of another nation than the one the certificate names.
    pub refused_wrong_nation: AtomicU64,
    /// Signed by no configured CA, or naming a nation without a configured CA.
    pub refused_unknown_ca: AtomicU64,
    /// No usable nation in the subject.
    pub refused_no_nation: AtomicU64,
}

impl VerifierStats {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// The client certificate verifier: chain validation by webpki against **only** the
/// CA of the nation the leaf names. Client certificates are mandatory.
#[derive(Debug)]
pub struct NationVerifier {
    by_nation: BTreeMap<Nation, Arc<dyn ClientCertVerifier>>,
    hints: Vec<DistinguishedName>,
    /// Whether a client without a certificate is refused (TAK port) or let through
    /// unauthenticated by certificate (HTTPS, where tokens still apply).
    mandatory: bool,
    pub stats: Arc<VerifierStats>,
}

impl NationVerifier {
    /// One CA certificate (or several, e.g. across a key rollover) per nation. Each
    /// CA must itself name that nation in `C=`: a misfiled CA is a configuration error.
    pub fn new(cas: &BTreeMap<Nation, Vec<CertificateDer<'static>>>) -> Result<Self, TlsError> {
        if cas.is_empty() {
            return Err(TlsError::NoClientCa);
        }
        let mut by_nation = BTreeMap::new();
        let mut hints = Vec::new();
        for (nation, certs) in cas {
            let ca = |e: TlsError| TlsError::Ca {
                nation: *nation,
                source: Box::new(e),
            };
            let mut roots = rustls::RootCertStore::empty();
            for c in certs {
                let (named, _) = subject_of(c).map_err(ca)?;
                if named != *nation {
                    return Err(TlsError::MisfiledCa {
                        nation: *nation,
                        named,
                    });
                }
                roots.add(c.clone()).map_err(|e| ca(e.into()))?;
            }
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .map_err(|e| ca(e.into()))?;
            hints.extend(v.root_hint_subjects().iter().cloned());
            by_nation.insert(*nation, v);
        }
        Ok(NationVerifier {
            by_nation,
            hints,
            mandatory: true,
            stats: Arc::default(),
        })
    }

    /// Let clients without a certificate through; one that presents a certificate is
    /// still held to the rule.
    pub fn optional(mut self) -> Self {
        self.mandatory = false;
        self
    }

    /// Any one of the inner verifiers: they differ only in their roots.
    fn any(&self) -> &Arc<dyn ClientCertVerifier> {
        self.by_nation.values().next().expect("at least one CA")
    }

    pub fn nations(&self) -> impl Iterator<Item = Nation> + '_ {
        self.by_nation.keys().copied()
    }
}

fn refused() -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
}

impl ClientCertVerifier for NationVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let (nation, cn) = match subject_of(end_entity) {
            Ok(s) => s,
            Err(e) => {
                bump(&self.stats.refused_no_nation);
                tracing::warn!(reason = %e, "TLS client certificate refused: no nation in it");
                return Err(refused());
            }
        };
        let Some(own) = self.by_nation.get(&nation) else {
            bump(&self.stats.refused_unknown_ca);
            tracing::warn!(%nation, common_name = ?cn,
                "TLS client certificate refused: no CA is configured for its nation");
            return Err(refused());
        };
        match own.verify_client_cert(end_entity, intermediates, now) {
            Ok(v) => {
                bump(&self.stats.accepted);
                Ok(v)
            }
            Err(e) => {
                // For the log only: was it another nation's CA that vouched?
                let issuer = self
                    .by_nation
                    .iter()
                    .filter(|(n, _)| **n != nation)
                    .find(|(_, v)| v.verify_client_cert(end_entity, intermediates, now).is_ok())
                    .map(|(n, _)| *n);
                match issuer {
                    Some(issuer) => {
                        bump(&self.stats.refused_wrong_nation);
                        tracing::warn!(claimed = %nation, %issuer, common_name = ?cn,
                            "TLS client certificate refused: the {issuer} CA cannot vouch for a national of {nation}");
                        Err(refused())
                    }
                    None => {
                        bump(&self.stats.refused_unknown_ca);
                        tracing::warn!(claimed = %nation, common_name = ?cn, error = %e,
                            "TLS client certificate refused: not issued by the CA of its nation");
                        Err(e)
                    }
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.any().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.any().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.any().supported_verify_schemes()
    }
}

/// Every certificate in a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(file_err(path))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(path.to_path_buf()));
    }
    Ok(certs)
}

/// The private key in a PEM file (PKCS#8, SEC1 or PKCS#1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(file_err(path))
}

fn file_err<E: std::fmt::Display>(path: &Path) -> impl FnOnce(E) -> TlsError + '_ {
    move |e| TlsError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The files of a mutual-TLS server endpoint.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// PEM: the server certificate (then any intermediates).
    pub server_cert: std::path::PathBuf,
    /// PEM: its private key.
    pub server_key: std::path::PathBuf,
    /// PEM: the CA certificate(s) of each nation whose nationals may connect. Empty
    /// (HTTPS only): client certificates are not asked for.
    #[serde(default)]
    pub client_cas: BTreeMap<Nation, std::path::PathBuf>,
}

impl TlsFiles {
    /// Relative paths taken relative to `base` (the configuration file's directory).
    pub fn relative_to(&self, base: &Path) -> TlsFiles {
        TlsFiles {
            server_cert: base.join(&self.server_cert),
            server_key: base.join(&self.server_key),
            client_cas: self
                .client_cas
                .iter()
                .map(|(n, p)| (*n, base.join(p)))
                .collect(),
        }
    }

    /// The server configuration: TLS 1.2 and 1.3, client certificates mandatory and
    /// verified by a [`NationVerifier`] (returned too, for its counters).
    pub fn server_config(
        &self,
    ) -> Result<(Arc<rustls::ServerConfig>, Arc<NationVerifier>), TlsError> {
        let (cfg, v) = self.server_config_with(true)?;
        Ok((
            cfg,
            v.expect("a verifier when client certificates are mandatory"),
        ))
    }

    /// As [`server_config`](Self::server_config); with `mandatory` false a client may
    /// connect without a certificate, and with no `client_cas` none is asked for
    /// (no verifier then).
    pub fn server_config_with(
        &self,
        mandatory: bool,
    ) -> Result<(Arc<rustls::ServerConfig>, Option<Arc<NationVerifier>>), TlsError> {
        if !mandatory && self.client_cas.is_empty() {
            let cfg = rustls::ServerConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()?
                .with_no_client_auth()
                .with_single_cert(load_certs(&self.server_cert)?, load_key(&self.server_key)?)
                .map_err(file_err(&self.server_cert))?;
            return Ok((Arc::new(cfg), None));
        }
        let mut cas = BTreeMap::new();
        for (n, p) in &self.client_cas {
            cas.insert(*n, load_certs(p)?);
        }
        let mut verifier = NationVerifier::new(&cas)?;
        if !mandatory {
            verifier = verifier.optional();
        }
        let verifier = Arc::new(verifier);
        let chain = load_certs(&self.server_cert)?;
        let key = load_key(&self.server_key)?;
        let cfg = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier.clone())
            .with_single_cert(chain, key)
            .map_err(file_err(&self.server_cert))?;
        Ok((Arc::new(cfg), Some(verifier)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair};

    fn cert_with(dn: &[(DnType, &str)]) -> Vec<u8> {
        let mut p = CertificateParams::default();
        for (t, v) in dn {
            p.distinguished_name.push(t.clone(), *v);
        }
        let key = KeyPair::generate().unwrap();
        p.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn the_nation_is_the_one_country_of_the_subject() {
        for n in Nation::ALL {
            assert_eq!(from_alpha2(alpha2(*n)), Some(*n));
        }
        let ok = cert_with(&[
            (DnType::CountryName, "JP"),
            (DnType::CommonName, "analyst-jpn"),
        ]);
        assert_eq!(
            subject_of(&ok).unwrap(),
            (Nation::JPN, "analyst-jpn".into())
        );
        let pc = peer_cert(&ok).unwrap();
        assert_eq!(pc.fingerprint, <[u8; 32]>::from(Sha256::digest(&ok)));
        // Any doubt is an error: no C=, an unknown or lower-case code, two of them.
        for dn in [
            vec![(DnType::CommonName, "x")],
            vec![(DnType::CountryName, "XX")],
            vec![(DnType::CountryName, "jp")],
            vec![(DnType::CountryName, "JPN")],
        ] {
            assert!(subject_of(&cert_with(&dn)).is_err(), "{dn:?}");
        }
        assert!(subject_of(b"not a certificate").is_err());
    }

    #[test]
    fn a_ca_is_refused_for_another_nation() {
        let jpn = pki::Ca::national(Nation::JPN).unwrap();
        let der = CertificateDer::from_pem_slice(jpn.cert_pem.as_bytes()).unwrap();
        let ok = BTreeMap::from([(Nation::JPN, vec![der.clone()])]);
        assert!(NationVerifier::new(&ok).is_ok());
        let misfiled = BTreeMap::from([(Nation::USA, vec![der])]);
        let e = NationVerifier::new(&misfiled).unwrap_err();
        assert!(
            matches!(
                e,
                TlsError::MisfiledCa {
                    nation: Nation::USA,
                    named: Nation::JPN
                }
            ),
            "{e}"
        );
        assert!(
            e.to_string().contains("configured for USA names JPN"),
            "{e}"
        );
        assert!(matches!(
            NationVerifier::new(&BTreeMap::new()),
            Err(TlsError::NoClientCa)
        ));
    }
}
