//! Who is at the other end of a connection, as its TLS client certificate proves.
//!
//! The TLS listeners put a [`PeerCert`] into every request's extensions (HTTP) or
//! hand it to the client task (CoT); plain-TCP connections have none.

use biac_model::Nation;

/// A verified client certificate: chained to the CA of `nation`, and naming a
/// national of that nation (a CA vouches only for its own nationals).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerCert {
    /// The nation whose CA issued the certificate and whose national it names.
    pub nation: Nation,
    /// The certificate subject's common name (the user or system).
    pub common_name: String,
    /// SHA-256 of the certificate (DER): binds session tokens to this connection's
    /// holder.
    pub fingerprint: [u8; 32],
}
