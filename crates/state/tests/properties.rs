//! Property tests: for random sequences of valid and invalid operations,
//! - per-token supply on L2 (balances + fees not yet credited) equals deposits minus
//!   withdrawals and exits;
//! - a rejected operation never changes the root;
//! - replaying the accepted operations from genesis reaches the same roots;
//! - so does a state whose blocks are written behind it (`State::seal_block_deferred`, as the
//!   node's single writer does), reading the blocks not yet written from memory.

mod common;

use common::*;
use proptest::prelude::*;
use std::sync::OnceLock;
use zkr_state::storage::{MemoryStorage, Storage};
use zkr_state::{OpRequest, State};
use zkr_types::op::{Op, parse_pubdata};
use zkr_types::tx::L2Tx;
use zkr_types::{AccountId, Address, Fr, TokenId};

const USERS: usize = 4;
const TOKENS: u16 = 3;

fn users() -> &'static [User] {
    static U: OnceLock<Vec<User>> = OnceLock::new();
    U.get_or_init(|| (1..=USERS as u8).map(User::new).collect())
}

#[derive(Debug, Clone)]
enum Action {
    Deposit {
        user: usize,
        token: u16,
        amount: u128,
    },
    ChangePubKey {
        user: usize,
        fee: u128,
    },
    Transfer {
        user: usize,
        to: usize,
        token: u16,
        amount: u128,
        fee: u128,
        nonce_delta: i8,
        tamper: bool,
    },
    Withdraw {
        user: usize,
        token: u16,
        amount: u128,
        fee: u128,
        nonce_delta: i8,
    },
    FullExit {
        user: usize,
        account: u32,
        token: u16,
    },
    SealBatch {
        fee_user: usize,
    },
    SealBlock,
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![0u128..3000, (1u128..50).prop_map(|m| m * 1000)]
}

fn action() -> impl Strategy<Value = Action> {
    let user = 0..USERS;
    let token = 0..TOKENS + 1; // includes one unregistered token
    prop_oneof![
        3 => (user.clone(), token.clone(), amount()).prop_map(|(user, token, amount)| Action::Deposit { user, token, amount }),
        2 => (user.clone(), 0u128..5).prop_map(|(user, fee)| Action::ChangePubKey { user, fee }),
        6 => (user.clone(), 0..USERS + 2, token.clone(), amount(), 0u128..20, prop_oneof![4 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)], proptest::bool::weighted(0.1))
            .prop_map(|(user, to, token, amount, fee, nonce_delta, tamper)| Action::Transfer { user, to, token, amount, fee, nonce_delta, tamper }),
        2 => (user.clone(), token.clone(), amount(), 0u128..20, prop_oneof![4 => Just(0i8), 1 => Just(1i8)])
            .prop_map(|(user, token, amount, fee, nonce_delta)| Action::Withdraw { user, token, amount, fee, nonce_delta }),
        1 => (user.clone(), 0u32..6, token).prop_map(|(user, account, token)| Action::FullExit { user, account, token }),
        1 => user.prop_map(|fee_user| Action::SealBatch { fee_user }),
        1 => Just(Action::SealBlock),
    ]
}

/// A step that the replay repeats: an accepted request, or a seal.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
enum Step {
    Apply(OpRequest),
    SealBatch(AccountId),
    SealBlock,
}

fn account_of(s: &State<MemoryStorage>, user: usize) -> Option<u32> {
    s.account_id_of(&users()[user].address())
        .unwrap()
        .map(|a| a.0)
}

fn nonce_of(s: &State<MemoryStorage>, id: u32) -> u32 {
    s.account(AccountId(id))
        .unwrap()
        .map(|a| a.nonce.0)
        .unwrap_or(0)
}

fn shift(n: u32, d: i8) -> u32 {
    (i64::from(n) + i64::from(d)).max(0) as u32
}

fn request(s: &State<MemoryStorage>, a: &Action) -> Option<OpRequest> {
    let u = &users();
    Some(match a.clone() {
        Action::Deposit {
            user,
            token,
            amount,
        } => u[user].deposit(token, amount),
        Action::ChangePubKey { user, fee } => {
            let id = account_of(s, user).unwrap_or(1000);
            u[user].change_pubkey(id, 0, fee, nonce_of(s, id))
        }
        Action::Transfer {
            user,
            to,
            token,
            amount,
            fee,
            nonce_delta,
            tamper,
        } => {
            let id = account_of(s, user).unwrap_or(1000);
            let to_addr = if to < USERS {
                u[to].address()
            } else {
                Address::repeat_byte(0xE0 + to as u8)
            };
            let mut t = u[user].transfer_tx(
                id,
                to_addr,
                token,
                amount,
                fee,
                shift(nonce_of(s, id), nonce_delta),
            );
            if tamper {
                t.signature.s += Fr::from(1u64);
            }
            OpRequest::Tx(L2Tx::Transfer(t))
        }
        Action::Withdraw {
            user,
            token,
            amount,
            fee,
            nonce_delta,
        } => {
            let id = account_of(s, user).unwrap_or(1000);
            u[user].withdraw(
                id,
                u[user].address(),
                token,
                amount,
                fee,
                shift(nonce_of(s, id), nonce_delta),
            )
        }
        Action::FullExit {
            user,
            account,
            token,
        } => u[user].full_exit(account, token),
        Action::SealBatch { .. } | Action::SealBlock => return None,
    })
}

fn supply(s: &State<MemoryStorage>, token: u16) -> u128 {
    let mut total = s.pending_fees().get(TokenId(token));
    for id in 0..s.next_account_id().0 {
        if let Some(a) = s.account(AccountId(id)).unwrap() {
            total += a.balance(TokenId(token));
        }
    }
    total
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn conservation_rejection_and_replay(actions in proptest::collection::vec(action(), 1..40)) {
        let mut s = state_with_tokens(MemoryStorage::new(), TOKENS);
        let mut net = [0i128; TOKENS as usize];
        let mut steps = Vec::new();
        // Users 0..2 start onboarded (funded, key registered); user 3 starts unknown.
        for u in &users()[..USERS - 1] {
            let id = onboard(&mut s, u, 10_000);
            steps.push(Step::Apply(u.deposit(0, 10_000)));
            steps.push(Step::Apply(u.deposit(1, 10_000)));
            steps.push(Step::Apply(u.change_pubkey(id, 0, 0, 0)));
            net[0] += 10_000;
            net[1] += 10_000;
        }
        let prelude = steps.len();
        let mut roots = Vec::new();
        for a in &actions {
            match a {
                Action::SealBatch { fee_user } => {
                    s.seal_batch().unwrap();
                    let fee_account = AccountId(account_of(&s, *fee_user).unwrap_or(0));
                    s.set_fee_account(fee_account).unwrap();
                    steps.push(Step::SealBatch(fee_account));
                    roots.push(s.root().unwrap());
                    continue;
                }
                Action::SealBlock => {
                    roots.push(s.seal_block().unwrap().root);
                    steps.push(Step::SealBlock);
                    continue;
                }
                _ => {}
            }
            let req = request(&s, a).expect("an operation");
            let before = s.root().unwrap();
            match s.apply(&req) {
                Ok(applied) => {
                    match &applied.op {
                        Op::Deposit(d) => net[d.token.0 as usize] += d.amount.0 as i128,
                        Op::Withdraw(w) => net[w.token.0 as usize] -= w.amount.0 as i128,
                        Op::FullExit(f) => net[f.token.0 as usize] -= f.amount.0 as i128,
                        _ => {}
                    }
                    steps.push(Step::Apply(req));
                    roots.push(s.root().unwrap());
                }
                Err(_) => prop_assert_eq!(s.root().unwrap(), before, "rejected {:?} changed the root", a),
            }
            for t in 0..TOKENS {
                prop_assert_eq!(supply(&s, t) as i128, net[t as usize], "supply of token {} after {:?}", t, a);
            }
        }
        // Replay the accepted steps from genesis; and, as `zkr rebuild` does, replay their
        // pubdata alone (no signatures) on a third state: every root the same.
        let mut r = state_with_tokens(MemoryStorage::new(), TOKENS);
        let mut p = state_with_tokens(MemoryStorage::new(), TOKENS);
        let mut replay_roots = Vec::new();
        let mut roots_before_prelude = Vec::new();
        // Blocks written one behind (two when the random walk says so): reads go through memory.
        let mut d = state_with_tokens(MemoryStorage::new(), TOKENS);
        let mut unwritten = std::collections::VecDeque::new();
        for step in &steps {
            match step {
                Step::Apply(req) => {
                    let applied = r.apply(req).expect("accepted before, accepted again");
                    prop_assert_eq!(d.apply(req).expect("accepted with blocks unwritten"), applied.clone());
                    let ops = parse_pubdata(&applied.pubdata).unwrap();
                    prop_assert_eq!(&ops, &vec![applied.op.clone()]);
                    p.replay(&ops[0]).expect("an accepted operation replays from its pubdata");
                    if roots_before_prelude.len() < prelude { roots_before_prelude.push(()); } else { replay_roots.push(r.root().unwrap()); }
                }
                Step::SealBatch(fa) => {
                    r.seal_batch().unwrap();
                    r.set_fee_account(*fa).unwrap();
                    p.seal_batch().unwrap();
                    p.set_fee_account(*fa).unwrap();
                    d.seal_batch().unwrap();
                    d.set_fee_account(*fa).unwrap();
                    replay_roots.push(r.root().unwrap());
                }
                Step::SealBlock => {
                    replay_roots.push(r.seal_block().unwrap().root);
                    p.seal_block().unwrap();
                    let (sealed, changes) = d.seal_block_deferred(Vec::new()).unwrap();
                    unwritten.push_back((sealed.number.0, changes));
                    prop_assert!(d.seal_block().is_err(), "a block written before older ones");
                    let keep = if replay_roots.len() % 3 == 0 { 2 } else { 1 };
                    while unwritten.len() > keep {
                        let (n, changes) = unwritten.pop_front().unwrap();
                        d.storage().commit(changes).unwrap();
                        d.written(n);
                    }
                }
            }
            prop_assert_eq!(d.root().unwrap(), r.root().unwrap(), "unwritten blocks after {:?}", step);
            prop_assert_eq!(d.next_account_id(), r.next_account_id());
            for u in users() {
                let id = r.account_id_of(&u.address()).unwrap();
                prop_assert_eq!(d.account_id_of(&u.address()).unwrap(), id);
                if let Some(id) = id {
                    prop_assert_eq!(d.account(id).unwrap(), r.account(id).unwrap());
                    prop_assert_eq!(d.balance_proof(id, TokenId(0)).unwrap(), r.balance_proof(id, TokenId(0)).unwrap());
                }
            }
            prop_assert_eq!(p.root().unwrap(), r.root().unwrap(), "pubdata replay after {:?}", step);
            prop_assert_eq!(p.next_account_id(), r.next_account_id());
        }
        prop_assert_eq!(roots, replay_roots);
        while let Some((n, changes)) = unwritten.pop_front() {
            d.storage().commit(changes).unwrap();
            d.written(n);
        }
        prop_assert_eq!(d.storage().meta().unwrap(), r.storage().meta().unwrap());
    }
}
