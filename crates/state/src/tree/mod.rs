//! 4-ary Poseidon sparse Merkle trees (`docs/protocol.md` §3).

mod account_tree;
pub mod defaults;

pub use account_tree::{AccountTree, NodeKey, NodeRead, account_position, root_from_path};

use zkr_crypto::poseidon;
use zkr_types::Fr;

/// Children per inner node.
pub const ARITY: usize = 4;

/// The three siblings of a node, in position order with the node's own position left out.
pub type Siblings = [Fr; ARITY - 1];

/// Hashes `node` at child position `pos` together with its siblings.
pub fn hash_with_siblings(node: Fr, pos: usize, siblings: &Siblings) -> Fr {
    let mut children = [Fr::from(0u64); ARITY];
    let mut k = 0;
    for (i, c) in children.iter_mut().enumerate() {
        if i == pos {
            *c = node;
        } else {
            *c = siblings[k];
            k += 1;
        }
    }
    poseidon::hash(children)
}
