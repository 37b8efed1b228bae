//! One module per subcommand.

pub mod bench;
pub mod circuit;
pub mod crypto;
pub mod devnet;
pub mod node;
pub mod wallet;

use std::path::PathBuf;

/// The proving-key cache directory: the flag, else `$XDG_CACHE_HOME/zkr/keys`, else
/// `~/.cache/zkr/keys`, else `./.zkr/keys`.
pub fn keys_dir(flag: Option<PathBuf>) -> PathBuf {
    if let Some(d) = flag {
        return d;
    }
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(x).join("zkr/keys");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache/zkr/keys");
    }
    PathBuf::from(".zkr/keys")
}
