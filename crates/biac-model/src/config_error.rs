//! A configuration value refused when it is read, typed so a caller can tell which key
//! was at fault; `Display` is the message operators see.

use std::fmt;

/// A refused configuration value: the key at fault and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The key at fault, as the configuration spells it (`alt_m`, `radar`,
    /// `warning.protect`).
    pub key: &'static str,
    /// What is wrong with it, with its value; the whole of `Display`.
    pub message: String,
}

impl ConfigError {
    pub fn new(key: &'static str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            key,
            message: message.into(),
        }
    }

    /// The same error, its message prefixed with where the key sits (`feed "x": …`).
    pub fn within(mut self, prefix: impl fmt::Display) -> ConfigError {
        self.message = format!("{prefix}: {}", self.message);
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}
