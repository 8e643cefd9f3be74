//! Who is asking, and may they make this kind of request.
//!
//! Three kinds of credential, all ending in a [`Principal`] (a subject — nation,
//! clearance, holdings — plus roles):
//! - **accounts** (web users): a name and an argon2id password hash from configuration;
//!   `POST /api/v1/session` exchanges the password for a **session token** that expires
//!   after the configured lifetime (15 min by default) and is revoked by
//!   `DELETE /api/v1/session`. A session opened over a TLS connection with a client
//!   certificate is bound to that certificate: the token is refused on any connection
//!   that does not present the same certificate, so a stolen token cannot be replayed
//!   from another's connection.
//! - **API tokens** (machine clients) from configuration.
//! - whatever credential arrives, a client certificate on the connection must be of the
//!   principal's own nation: a U.S. certificate holder cannot use a Japanese login.
//!
//! Session tokens are 256 random bits; only their SHA-256 is kept, and lookups go by
//! that digest, so the table is not searched with the secret itself.
//!
//! Then [`crate::authz`] (Cedar) decides whether the principal may make the request
//! (route → action in [`crate::authz::access`]); a refusal answers exactly like an
//! unknown path (404), so the API's shape per role is not advertised.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use biac_label::Holdings;
use biac_model::{Classification, ConfigError, Nation, Subject};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::authz::{PrincipalAttrs, RequestPolicy, Resource, Role};
use crate::peer::PeerCert;

/// Session lifetime when the configuration does not say.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(15 * 60);
/// Sessions beyond this many live ones refuse new logins (expired ones are pruned first).
const MAX_SESSIONS: usize = 100_000;
/// Live sessions one account may hold; a new login ends its oldest beyond this, so one
/// account (its password guessed or shared) cannot fill the session table.
pub const MAX_SESSIONS_PER_ACCOUNT: usize = 8;
/// Failed logins a key (an account name, known or not; a peer) may make within
/// [`FAILURE_WINDOW`] before its further attempts are refused without hashing.
pub const MAX_FAILURES: u32 = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Logins waiting for a password check beyond the ones running; more answer 503.
const LOGIN_QUEUE: usize = 256;
/// Keys the failure counter remembers at most (expired ones are pruned first).
const MAX_FAILURE_KEYS: usize = 65_536;
/// Roles of an API token whose configuration names none: what tokens could do before
/// roles existed (read, subscribe, monitor, ingest into its own nation's feeds).
pub const DEFAULT_TOKEN_ROLES: &[Role] = &[Role::Analyst, Role::FeedOperator];

/// An authenticated principal: who, of which nation and clearance, in which roles.
#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    pub name: String,
    pub subject: Subject,
    pub roles: Vec<Role>,
}

/// An API token's entry in the configuration: a subject plus optional roles.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenEntry {
    #[serde(flatten)]
    pub subject: Subject,
    #[serde(default)]
    pub roles: Option<Vec<Role>>,
}

/// A web user's account in the configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub user: String,
    /// PHC string of an argon2 hash (`biac hash-password` makes one).
    pub password_hash: String,
    pub nation: Nation,
    pub clearance: Classification,
    #[serde(default)]
    pub holdings: Holdings,
    #[serde(default = "default_account_roles")]
    pub roles: Vec<Role>,
}

fn default_account_roles() -> Vec<Role> {
    vec![Role::Analyst]
}

/// Hash a password for an [`Account`] (argon2id, default parameters, random salt).
/// The name an API token acts under in the audit log and in what others are shown (an
/// alert's acknowledgement): `token:` and the first 8 hex digits of the token's SHA-256.
/// It identifies the token to whoever holds the configuration, and reveals nothing of
/// the secret (it was the token's first characters, shown to the whole audience).
pub fn token_principal(token: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(token.as_bytes());
    format!("token:{:02x}{:02x}{:02x}{:02x}", h[0], h[1], h[2], h[3])
}

/// The PHC string of `password` (Argon2id, a fresh salt), as `accounts[].password_hash`
/// takes it.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
}

struct Session {
    principal: Principal,
    expires: Instant,
    /// Fingerprint of the client certificate the session was opened with.
    bound_to: Option<[u8; 32]>,
    /// Dropped with the session: whatever holds a [`SessionEnd`] of it (a WebSocket)
    /// learns that it ended.
    alive: tokio::sync::watch::Sender<()>,
}

/// When a session ends: at `expires`, or earlier when `ended` reports its sender gone
/// (logout, eviction).
#[derive(Clone, Debug)]
pub struct SessionEnd {
    pub expires: Instant,
    ended: tokio::sync::watch::Receiver<()>,
}

impl SessionEnd {
    /// Resolves when the session has ended.
    pub async fn wait(&mut self) {
        let deadline = tokio::time::Instant::from_std(self.expires);
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            // Only an error can come: nothing is ever sent, the sender is dropped.
            _ = async { while self.ended.changed().await.is_ok() {} } => {}
        }
    }
}

/// A session handed out by [`Authenticator::login`].
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub principal: Principal,
    pub ttl: Duration,
}

/// Why a login failed (the caller is told only "invalid user or password").
#[derive(Debug, PartialEq, Eq)]
pub enum LoginError {
    Invalid,
    WrongNation,
    TooManySessions,
    /// Too many failed logins for this account name or from this peer lately: refused
    /// without checking the password.
    Throttled,
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed pool of threads running password checks, fed by a bounded queue.
pub struct PasswordChecker {
    tx: std::sync::mpsc::SyncSender<Job>,
}

impl PasswordChecker {
    fn new(threads: usize, queue: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Job>(queue);
        let rx = std::sync::Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let _ = std::thread::Builder::new()
                .name(format!("biac-argon2-{i}"))
                .spawn(move || loop {
                    let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
        }
        PasswordChecker { tx }
    }

    /// Run `f` on a checker thread; `None` when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (otx, orx) = tokio::sync::oneshot::channel();
        self.tx
            .try_send(Box::new(move || {
                let _ = otx.send(f());
            }))
            .ok()?;
        orx.await.ok()
    }
}

/// Recent failed logins per key, for throttling guessing.
#[derive(Default)]
struct Failures(HashMap<String, (u32, Instant)>);

impl Failures {
    fn throttled(&self, key: &str, now: Instant) -> bool {
        self.0
            .get(key)
            .is_some_and(|&(n, since)| n >= MAX_FAILURES && now < since + FAILURE_WINDOW)
    }
    fn fail(&mut self, key: &str, now: Instant) {
        if self.0.len() >= MAX_FAILURE_KEYS {
            self.0.retain(|_, (_, since)| now < *since + FAILURE_WINDOW);
            if self.0.len() >= MAX_FAILURE_KEYS {
                return; // full of fresh keys: the argon2 bound still holds
            }
        }
        let e = self.0.entry(key.to_string()).or_insert((0, now));
        if now >= e.1 + FAILURE_WINDOW {
            *e = (0, now);
        }
        e.0 += 1;
    }
}

/// Credentials from configuration, the live sessions, and the request policy.
pub struct Authenticator {
    tokens: BTreeMap<String, Principal>,
    accounts: BTreeMap<String, Account>,
    sessions: Mutex<HashMap<[u8; 32], Session>>,
    session_ttl: Duration,
    failures: Mutex<Failures>,
    /// The threads that check passwords (argon2 takes ~19 MiB and tens of ms each):
    /// a fixed few, so memory stays bounded — on tokio's blocking pool every login could
    /// take a thread, and each thread's allocator kept its 19 MiB (issue 20 finding 9).
    pub checker: PasswordChecker,
    /// Verified against when the user is unknown, so that takes as long as a wrong password.
    dummy_hash: String,
    pub policy: RequestPolicy,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Authenticator {
    /// Tokens, accounts and the request policy from configuration.
    pub fn new(
        tokens: BTreeMap<String, TokenEntry>,
        accounts: Vec<Account>,
        session_ttl: Duration,
        policy: RequestPolicy,
    ) -> Result<Self, ConfigError> {
        let mut by_user = BTreeMap::new();
        for a in accounts {
            PasswordHash::new(&a.password_hash).map_err(|e| {
                ConfigError::new(
                    "accounts.password_hash",
                    format!("account {}: password_hash: {e}", a.user),
                )
            })?;
            if tokens.contains_key(&a.user) {
                // Not a real conflict, but a token equal to a user name is a mistake.
                return Err(ConfigError::new(
                    "accounts.user",
                    format!("account {}: also configured as a token", a.user),
                ));
            }
            if by_user.insert(a.user.clone(), a).is_some() {
                return Err(ConfigError::new(
                    "accounts.user",
                    "two accounts with the same user",
                ));
            }
        }
        let tokens = tokens
            .into_iter()
            .map(|(t, e)| {
                let p = Principal {
                    name: token_principal(&t),
                    subject: e.subject,
                    roles: e.roles.unwrap_or_else(|| DEFAULT_TOKEN_ROLES.to_vec()),
                };
                (t, p)
            })
            .collect();
        Ok(Authenticator {
            tokens,
            accounts: by_user,
            sessions: Mutex::new(HashMap::new()),
            session_ttl,
            failures: Mutex::default(),
            checker: PasswordChecker::new(
                std::thread::available_parallelism().map_or(2, |n| n.get().min(4)),
                LOGIN_QUEUE,
            ),
            dummy_hash: hash_password("biac: no such user").expect("argon2 with defaults"),
            policy,
        })
    }

    /// The demo logins: bearer tokens `demo-jpn`, `demo-usa`, `demo-aus`, `demo-kor`,
    /// `demo-phl` (one SECRET-cleared analyst per nation, for the web page) and accounts
    /// `analyst-jpn` … `analyst-phl` with the password `demo`. Only `biac demo` and tests
    /// construct this.
    pub fn demo() -> Self {
        let nations = [
            Nation::JPN,
            Nation::USA,
            Nation::AUS,
            Nation::KOR,
            Nation::PHL,
        ];
        let tokens = nations
            .iter()
            .map(|n| {
                let e = TokenEntry {
                    subject: Subject::new(*n, Classification::Secret),
                    roles: None,
                };
                (format!("demo-{}", n.as_str().to_lowercase()), e)
            })
            .collect();
        let hash = hash_password("demo").expect("argon2 with defaults");
        let accounts = nations
            .iter()
            .map(|n| Account {
                user: format!("analyst-{}", n.as_str().to_lowercase()),
                password_hash: hash.clone(),
                nation: *n,
                clearance: Classification::Secret,
                holdings: Holdings::default(),
                roles: vec![Role::Analyst],
            })
            .collect();
        Self::new(
            tokens,
            accounts,
            DEFAULT_SESSION_TTL,
            RequestPolicy::default_policy(),
        )
        .expect("demo credentials are valid")
    }

    /// API tokens only, with the default roles (tests).
    pub fn from_tokens(tokens: BTreeMap<String, Subject>) -> Self {
        let tokens = tokens
            .into_iter()
            .map(|(t, subject)| {
                (
                    t,
                    TokenEntry {
                        subject,
                        roles: None,
                    },
                )
            })
            .collect();
        Self::new(
            tokens,
            Vec::new(),
            DEFAULT_SESSION_TTL,
            RequestPolicy::default_policy(),
        )
        .expect("tokens only")
    }

    /// The configured API tokens and their subjects.
    pub fn subjects(&self) -> impl Iterator<Item = (&str, &Subject)> {
        self.tokens.iter().map(|(t, p)| (t.as_str(), &p.subject))
    }

    pub fn session_ttl(&self) -> Duration {
        self.session_ttl
    }

    /// Check `password` and open a session. Slow by design (argon2): call it off the
    /// async executor. A client certificate on the connection must be of the account's
    /// nation, and binds the session to itself.
    pub fn login(
        &self,
        user: &str,
        password: &str,
        peer: Option<&PeerCert>,
    ) -> Result<NewSession, LoginError> {
        self.login_from(user, password, peer, None)
    }

    /// [`Authenticator::login`] from a network peer (its address), whose failed
    /// attempts are throttled like an account's.
    pub fn login_from(
        &self,
        user: &str,
        password: &str,
        peer: Option<&PeerCert>,
        from: Option<std::net::IpAddr>,
    ) -> Result<NewSession, LoginError> {
        // Unknown names are throttled alike, so throttling tells nothing of who exists.
        let keys: Vec<String> = std::iter::once(format!("user:{user}"))
            .chain(from.map(|ip| format!("peer:{ip}")))
            .collect();
        {
            let now = Instant::now();
            let f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            if keys.iter().any(|k| f.throttled(k, now)) {
                return Err(LoginError::Throttled);
            }
        }
        let r = self.check_password(user, password, peer);
        if r.is_err() {
            let now = Instant::now();
            let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            for k in &keys {
                f.fail(k, now);
            }
        }
        r
    }

    fn check_password(
        &self,
        user: &str,
        password: &str,
        peer: Option<&PeerCert>,
    ) -> Result<NewSession, LoginError> {
        let account = self.accounts.get(user);
        let hash = account.map_or(self.dummy_hash.as_str(), |a| a.password_hash.as_str());
        let ok = PasswordHash::new(hash).ok().is_some_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        let account = match account {
            Some(a) if ok => a,
            _ => return Err(LoginError::Invalid),
        };
        if peer.is_some_and(|p| p.nation != account.nation) {
            return Err(LoginError::WrongNation);
        }
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let token = format!(
            "bs_{}",
            raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let principal = Principal {
            name: account.user.clone(),
            subject: Subject::new(account.nation, account.clearance)
                .with_holdings(account.holdings),
            roles: account.roles.clone(),
        };
        let now = Instant::now();
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, s| s.expires > now);
            if sessions.len() >= MAX_SESSIONS {
                return Err(LoginError::TooManySessions);
            }
        }
        // The account's oldest sessions beyond its cap end (their sockets close).
        let mut own: Vec<([u8; 32], Instant)> = sessions
            .iter()
            .filter(|(_, s)| s.principal.name == principal.name)
            .map(|(k, s)| (*k, s.expires))
            .collect();
        if own.len() >= MAX_SESSIONS_PER_ACCOUNT {
            own.sort_unstable_by_key(|&(_, e)| e);
            for (k, _) in &own[..=own.len() - MAX_SESSIONS_PER_ACCOUNT] {
                sessions.remove(k);
            }
        }
        sessions.insert(
            digest(&token),
            Session {
                principal: principal.clone(),
                expires: now + self.session_ttl,
                bound_to: peer.map(|p| p.fingerprint),
                alive: tokio::sync::watch::channel(()).0,
            },
        );
        Ok(NewSession {
            token,
            principal,
            ttl: self.session_ttl,
        })
    }

    /// End the session of `token`; false when there was none.
    pub fn logout(&self, token: &str) -> bool {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&digest(token))
            .is_some()
    }

    /// When the session of `token` ends (`None` for an API token, which does not, or no
    /// live session).
    pub fn session_end(&self, token: &str) -> Option<SessionEnd> {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let s = sessions.get(&digest(token))?;
        Some(SessionEnd {
            expires: s.expires,
            ended: s.alive.subscribe(),
        })
    }

    /// Live sessions (all accounts).
    pub fn sessions(&self) -> usize {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// The principal a bearer credential stands for on a connection presenting `peer`.
    pub fn authenticate(&self, token: &str, peer: Option<&PeerCert>) -> Option<Principal> {
        let principal = if token.starts_with("bs_") {
            let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
            let key = digest(token);
            let s = sessions.get(&key)?;
            if s.expires <= Instant::now() {
                sessions.remove(&key);
                return None;
            }
            if s.bound_to.is_some() && s.bound_to != peer.map(|p| p.fingerprint) {
                tracing::warn!(user = %s.principal.name, "session token presented on another connection's certificate: refused");
                return None;
            }
            s.principal.clone()
        } else {
            self.tokens.get(token)?.clone()
        };
        if peer.is_some_and(|p| p.nation != principal.subject.nation) {
            tracing::warn!(principal = %principal.name, "client certificate of another nation than the credential: refused");
            return None;
        }
        Some(principal)
    }

    /// May `p` make a request of kind `action` on `resource` (the Cedar request policy)?
    pub fn authorize(
        &self,
        p: &Principal,
        action: crate::authz::RequestAction,
        resource: &Resource,
    ) -> bool {
        self.policy.is_authorized(
            &PrincipalAttrs {
                name: &p.name,
                nation: p.subject.nation,
                clearance: p.subject.clearance,
                roles: &p.roles,
            },
            action,
            resource,
        )
    }
}
