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
