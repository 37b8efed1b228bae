//! Identifier and unit newtypes.

use crate::TypesError;
use crate::params::{MAX_ACCOUNTS, MAX_TOKENS};
use serde::{Deserialize, Serialize};

macro_rules! newtype {
    ($(#[$m:meta])* $name:ident($inner:ty)) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for $inner {
            fn from(v: $name) -> $inner {
                v.0
            }
        }
    };
}

newtype!(
    /// Index of an account leaf in the account tree, below 2^24.
    AccountId(u32)
);
newtype!(
    /// Index of a token, below `MAX_TOKENS`; 0 is ETH.
    TokenId(u16)
);
newtype!(
    /// An account's transaction counter.
    Nonce(u32)
);
/// An amount of a token in its smallest unit. Serialized as a decimal string, since JSON
/// numbers lose precision above 2^53.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub u128);

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(serde::de::Error::custom(format!(
                "amount {s:?} is not a decimal integer"
            )));
        }
        s.parse::<u128>()
            .map(Amount)
            .map_err(|_| serde::de::Error::custom(format!("amount {s:?} does not fit in 128 bits")))
    }
}
newtype!(
    /// Number of an L2 block (soft confirmation unit).
    L2BlockNumber(u64)
);
newtype!(
    /// Number of a batch (proof unit), from 1.
    BatchNumber(u64)
);
newtype!(
    /// The zkr chain id that every L2 signature commits to.
    ChainId(u32)
);

impl AccountId {
    /// Checks the id is below 2^24.
    pub fn checked(v: u64) -> Result<Self, TypesError> {
        if v < MAX_ACCOUNTS {
            Ok(AccountId(v as u32))
        } else {
            Err(TypesError::AccountIdOutOfRange(v))
        }
    }

    /// Whether the id fits the tree.
    pub fn is_valid(self) -> bool {
        u64::from(self.0) < MAX_ACCOUNTS
    }
}

impl TokenId {
    /// ETH.
    pub const ETH: TokenId = TokenId(0);

    /// Checks the id is below `MAX_TOKENS`.
    pub fn checked(v: u64) -> Result<Self, TypesError> {
        if v < MAX_TOKENS {
            Ok(TokenId(v as u16))
        } else {
            Err(TypesError::TokenIdOutOfRange(v))
        }
    }

    /// Whether the id fits the balance tree.
    pub fn is_valid(self) -> bool {
        u64::from(self.0) < MAX_TOKENS
    }
}
