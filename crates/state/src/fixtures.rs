//! Deterministic users and signed requests for tests and benchmarks: keys derived from small
//! seeds, so they are public. Never use them for real funds.
#![allow(missing_docs)]

use crate::storage::Storage;
use crate::{ChainConfig, DepositRequest, FullExitRequest, OpRequest, State};
use zkr_crypto::eddsa::PrivateKey;
use zkr_crypto::eth::{Eip712Domain, EthPrivateKey, derive_l2_key};
use zkr_types::dex::PoolId;
use zkr_types::tx::{
    AddLiquidity, ChangePubKey, CreatePool, L2Tx, RemoveLiquidity, Swap, Transfer, Withdraw,
};
use zkr_types::{AccountId, Address, Amount, ChainId, Nonce, TokenId};

pub const CHAIN: ChainId = ChainId(270);

pub fn config() -> ChainConfig {
    ChainConfig {
        chain_id: CHAIN,
        eip712: Eip712Domain {
            l1_chain_id: 31337,
            verifying_contract: Address::repeat_byte(0x42),
        },
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub eth: EthPrivateKey,
    pub l2: PrivateKey,
}

impl User {
    pub fn new(seed: u8) -> Self {
        let mut b = [0u8; 32];
        b[31] = seed.max(1);
        b[0] = 0x11;
        let eth = EthPrivateKey::from_bytes(&b).unwrap();
        let l2 = derive_l2_key(&eth, CHAIN.0).unwrap();
        User { eth, l2 }
    }

    pub fn address(&self) -> Address {
        self.eth.address()
    }

    pub fn deposit(&self, token: u16, amount: u128) -> OpRequest {
        OpRequest::Deposit(DepositRequest {
            owner: self.address(),
            token: TokenId(token),
            amount: Amount(amount),
        })
    }

    pub fn full_exit(&self, id: u32, token: u16) -> OpRequest {
        OpRequest::FullExit(FullExitRequest {
            account_id: AccountId(id),
            owner: self.address(),
            token: TokenId(token),
        })
    }

    pub fn change_pubkey(&self, id: u32, fee_token: u16, fee: u128, nonce: u32) -> OpRequest {
        let c = ChangePubKey::signed(
            &self.l2,
            &self.eth,
            &config().eip712,
            CHAIN,
            AccountId(id),
            TokenId(fee_token),
            Amount(fee),
            Nonce(nonce),
        )
        .unwrap();
        OpRequest::Tx(L2Tx::ChangePubKey(c))
    }

    pub fn transfer_tx(
        &self,
        from: u32,
        to: Address,
        token: u16,
        amount: u128,
        fee: u128,
        nonce: u32,
    ) -> Transfer {
        Transfer::signed(
            &self.l2,
            CHAIN,
            AccountId(from),
            to,
            TokenId(token),
            Amount(amount),
            Amount(fee),
            Nonce(nonce),
        )
        .unwrap()
    }

    pub fn transfer(
        &self,
        from: u32,
        to: Address,
        token: u16,
        amount: u128,
        fee: u128,
        nonce: u32,
    ) -> OpRequest {
        OpRequest::Tx(L2Tx::Transfer(
            self.transfer_tx(from, to, token, amount, fee, nonce),
        ))
    }

    pub fn withdraw(
        &self,
        id: u32,
        to: Address,
        token: u16,
        amount: u128,
        fee: u128,
        nonce: u32,
    ) -> OpRequest {
        let w = Withdraw::signed(
            &self.l2,
            CHAIN,
            AccountId(id),
            to,
            TokenId(token),
            Amount(amount),
            Amount(fee),
            Nonce(nonce),
        )
        .unwrap();
        OpRequest::Tx(L2Tx::Withdraw(w))
    }
}

impl User {
    #[allow(clippy::too_many_arguments)]
    pub fn swap(
        &self,
        id: u32,
        pool: u8,
        sell: u16,
        buy: u16,
        amount_in: u128,
        min_out: u128,
        fee: u128,
        nonce: u32,
    ) -> OpRequest {
        let s = Swap::signed(
            &self.l2,
            CHAIN,
            AccountId(id),
            PoolId(pool),
            TokenId(sell),
            TokenId(buy),
            Amount(amount_in),
            Amount(min_out),
            Amount(fee),
            Nonce(nonce),
        )
        .unwrap();
        OpRequest::Tx(L2Tx::Swap(s))
    }

    pub fn create_pool(&self, id: u32, pair: (u16, u16), fee: u128, nonce: u32) -> OpRequest {
        let c = CreatePool::signed(
            &self.l2,
            CHAIN,
            AccountId(id),
            (TokenId(pair.0), TokenId(pair.1)),
            Amount(fee),
            Nonce(nonce),
        )
        .unwrap();
        OpRequest::Tx(L2Tx::CreatePool(c))
    }

    /// AddLiquidity of at most `max` = (a, b) for at least `min_shares`.
    #[allow(clippy::too_many_arguments)]
    pub fn add_liquidity(
        &self,
        id: u32,
        pool: u8,
        pair: (u16, u16),
        max: (u128, u128),
        min_shares: u128,
        fee: u128,
        nonce: u32,
    ) -> OpRequest {
        let l = AddLiquidity::signed(
            &self.l2,
            CHAIN,
            AccountId(id),
            PoolId(pool),
            (TokenId(pair.0), TokenId(pair.1)),
            Amount(max.0),
            Amount(max.1),
            Amount(min_shares),
            Amount(fee),
            Nonce(nonce),
        )
        .unwrap();
        OpRequest::Tx(L2Tx::AddLiquidity(l))
    }

    /// RemoveLiquidity of `shares` for at least `min` = (a, b).
    #[allow(clippy::too_many_arguments)]
    pub fn remove_liquidity(
        &self,
        id: u32,
        pool: u8,
        pair: (u16, u16),
        shares: u128,
        min: (u128, u128),
        fee: u128,
        nonce: u32,
    ) -> OpRequest {
        let r = RemoveLiquidity::signed(
            &self.l2,
            CHAIN,
            AccountId(id),
            PoolId(pool),
            (TokenId(pair.0), TokenId(pair.1)),
            Amount(shares),
            Amount(min.0),
            Amount(min.1),
            Amount(fee),
            Nonce(nonce),
        )
        .unwrap();
        OpRequest::Tx(L2Tx::RemoveLiquidity(r))
    }
}

/// A state with `tokens` registered tokens.
pub fn state_with_tokens<S: Storage>(storage: S, tokens: u16) -> State<S> {
    let mut s = State::open(storage, config()).unwrap();
    while s.num_tokens() < tokens {
        s.register_token().unwrap();
    }
    s
}

/// Deposits `amount` of tokens 0 and 1 for the user and registers their key; returns the id.
pub fn onboard<S: Storage>(s: &mut State<S>, u: &User, amount: u128) -> u32 {
    let a = s.apply(&u.deposit(0, amount)).unwrap();
    let id = match a.op {
        zkr_types::op::Op::Deposit(d) => d.account_id.0,
        other => panic!("unexpected {other:?}"),
    };
    s.apply(&u.deposit(1, amount)).unwrap();
    s.apply(&u.change_pubkey(id, 0, 0, 0)).unwrap();
    id
}

/// Three tokens and users 1, 2 and 3 onboarded with `amount` of tokens 0 and 1 and their keys
/// registered, the first the fee account; the batch and block sealed. Returns their ids.
pub fn three_users<S: Storage>(storage: S, amount: u128) -> (State<S>, [User; 3], [u32; 3]) {
    let mut state = state_with_tokens(storage, 3);
    let users = [User::new(1), User::new(2), User::new(3)];
    let ids = [
        onboard(&mut state, &users[0], amount),
        onboard(&mut state, &users[1], amount),
        onboard(&mut state, &users[2], amount),
    ];
    state.set_fee_account(AccountId(ids[0])).unwrap();
    state.seal_batch().unwrap();
    state.seal_block().unwrap();
    (state, users, ids)
}
