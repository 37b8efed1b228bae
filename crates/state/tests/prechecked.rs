//! Signature work done before the state is locked (`Prechecked`) counts only for the
//! transaction and chain it was done for: paired with another transaction, or made under
//! another chain id, the signature is checked again and a forgery is refused.

use zkr_state::fixtures::{CHAIN, User, onboard, state_with_tokens};
use zkr_state::storage::MemoryStorage;
use zkr_state::{OpRequest, Prechecked, StateError};
use zkr_types::ChainId;
use zkr_types::tx::L2Tx;

fn tx(r: OpRequest) -> L2Tx {
    match r {
        OpRequest::Tx(t) => t,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_precheck_is_used_only_for_its_own_transaction_and_chain() {
    let mut state = state_with_tokens(MemoryStorage::new(), 2);
    let (a, b) = (User::new(1), User::new(2));
    let ia = onboard(&mut state, &a, 10_000);
    let signed = tx(a.transfer(ia, b.address(), 0, 100, 0, 1));
    // The same transfer for 9,000 with the 100's signature: a forgery.
    let mut forged = signed.clone();
    if let L2Tx::Transfer(t) = &mut forged {
        t.amount = zkr_types::Amount(9_000);
    } else {
        unreachable!()
    }
    let pre = Prechecked::of(&signed, CHAIN);
    let e = state
        .apply_prechecked(&OpRequest::Tx(forged.clone()), pre)
        .unwrap_err();
    assert!(matches!(e, StateError::InvalidSignature(_)), "{e:?}");
    // Made under another chain id: not used either (the signature is for chain 270).
    let other = Prechecked::of(&signed, ChainId(CHAIN.0 + 1));
    assert!(matches!(
        state.apply_prechecked(&OpRequest::Tx(forged), other),
        Err(StateError::InvalidSignature(_))
    ));
    // Its own transaction goes through.
    let pre = Prechecked::of(&signed, CHAIN);
    state.apply_prechecked(&OpRequest::Tx(signed), pre).unwrap();
    assert_eq!(
        state
            .account(zkr_types::AccountId(ia))
            .unwrap()
            .unwrap()
            .balance(zkr_types::TokenId(0)),
        9_900
    );
}

/// A block's signatures are verified together (`Prechecked::of_many`): the outcome of every
/// operation, good or forged, and the state after the block are those of applying the same
/// operations one by one.
#[test]
fn a_block_verified_together_applies_as_one_by_one() {
    let setup = || {
        let mut state = state_with_tokens(MemoryStorage::new(), 2);
        let users: Vec<User> = (1..=6).map(User::new).collect();
        let ids: Vec<u32> = users
            .iter()
            .map(|u| onboard(&mut state, u, 10_000))
            .collect();
        (state, users, ids)
    };
    let (mut together, users, ids) = setup();
    let (mut alone, _, _) = setup();
    let mut requests = Vec::new();
    for (k, (u, id)) in users.iter().zip(&ids).enumerate() {
        requests.push(u.transfer(*id, users[(k + 1) % 6].address(), 0, 10 + k as u128, 0, 1));
    }
    // a forgery in the middle: user 2's second transfer with its amount raised after signing
    let mut forged = tx(users[2].transfer(ids[2], users[0].address(), 0, 5, 0, 2));
    if let L2Tx::Transfer(t) = &mut forged {
        t.amount = zkr_types::Amount(5_000);
    }
    requests.insert(3, OpRequest::Tx(forged));
    // an operation without a signature, and a signature by a key the account does not have
    requests.push(User::new(9).deposit(0, 1_000));
    requests.push(User::new(7).transfer(ids[4], users[0].address(), 0, 1, 0, 2));
    let block = together.apply_block(&requests);
    let single: Vec<_> = requests.iter().map(|r| alone.apply(r)).collect();
    assert_eq!(block.len(), single.len());
    for (k, (b, s)) in block.iter().zip(&single).enumerate() {
        assert_eq!(
            b.as_ref().map(|a| &a.pubdata).map_err(|e| e.to_string()),
            s.as_ref().map(|a| &a.pubdata).map_err(|e| e.to_string()),
            "operation {k}"
        );
    }
    assert!(matches!(block[3], Err(StateError::InvalidSignature(_))));
    assert!(block.iter().filter(|r| r.is_ok()).count() >= 7);
    assert_eq!(together.seal_block().unwrap(), alone.seal_block().unwrap());
}
