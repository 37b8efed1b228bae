//! The witness of a batch: what the prover feeds the circuit, built by re-running the native
//! state transition in witness mode.

use zkr_crypto::Fr;
use zkr_crypto::babyjubjub::Point;
use zkr_state::storage::Storage;
use zkr_state::witness::AccountUpdate;
use zkr_state::{Applied, OpRequest, State, StateError};
use zkr_types::commitment::BatchCommitment;
use zkr_types::op::Op;
use zkr_types::params::MAX_FEE_TOKENS_PER_BATCH;
use zkr_types::tx::{L2Signature, L2Tx, PubKeyJson};
use zkr_types::{AccountId, Address, BatchNumber, ChainId, TokenId, TypesError};

/// One slot: an operation and the two leaf updates the circuit performs for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotWitness {
    /// The operation (Noop for an unused slot).
    pub op: Op,
    /// First update (the sender, depositor, ... or a no-change probe).
    pub a: AccountUpdate,
    /// Second update (the receiver of a transfer, or a no-change probe).
    pub b: AccountUpdate,
    /// The L2 signature of a signed transaction; for other operations the identity "signature"
    /// that the circuit does not check.
    pub signature: L2Signature,
    /// The other updates of a DEX operation, in order (the first of each account are `a` and
    /// `b`); empty for the other operations.
    pub rest: Vec<AccountUpdate>,
    /// The signed limits of a DEX transaction that its pubdata does not carry: Swap
    /// `[min_out, 0]`, AddLiquidity `[min_shares, 0]`, RemoveLiquidity `[min_a, min_b]`;
    /// zero otherwise.
    pub limits: [u128; 2],
}

impl SlotWitness {
    /// Whether the slot holds a DEX operation (which only the DEX circuit proves).
    pub fn is_dex(&self) -> bool {
        self.op.is_dex()
    }
}

/// One fee credit at the end of the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeWitness {
    /// The token.
    pub token: TokenId,
    /// The amount credited.
    pub amount: u128,
    /// The update of the fee account.
    pub update: AccountUpdate,
}

/// Everything the batch circuit needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchWitness {
    /// Batch number.
    pub batch_number: BatchNumber,
    /// Chain id.
    pub chain_id: ChainId,
    /// Fee account.
    pub fee_account: AccountId,
    /// Root before.
    pub old_root: Fr,
    /// Root after (fees credited).
    pub new_root: Fr,
    /// The slots, in order.
    pub slots: Vec<SlotWitness>,
    /// Exactly `MAX_FEE_TOKENS_PER_BATCH` fee credits (unused ones credit 0).
    pub fees: Vec<FeeWitness>,
}

/// The signature placeholder of unsigned slots: identity points and `S = 0`.
pub fn no_signature() -> L2Signature {
    let id = Point::IDENTITY;
    L2Signature {
        pub_key: PubKeyJson { x: id.x, y: id.y },
        r8x: id.x,
        r8y: id.y,
        s: Fr::from(0u64),
    }
}

impl BatchWitness {
    /// The operations' pubdata, in order (Noops contribute nothing).
    pub fn ops_pubdata(&self) -> Result<Vec<Vec<u8>>, TypesError> {
        self.slots.iter().map(|s| s.op.pubdata()).collect()
    }

    /// The commitment this witness proves.
    pub fn commitment(&self) -> Result<BatchCommitment, TypesError> {
        BatchCommitment::new(
            self.batch_number,
            self.chain_id,
            self.fee_account,
            self.old_root,
            self.new_root,
            &self.ops_pubdata()?,
        )
    }
}

/// Builds a batch witness by applying operations to a state in witness mode.
pub struct BatchBuilder<'a, S: Storage> {
    state: &'a mut State<S>,
    slots: usize,
    witness: BatchWitness,
}

impl<'a, S: Storage> BatchBuilder<'a, S> {
    /// Starts a batch of `slots` slots on `state` (switched to witness mode).
    pub fn new(state: &'a mut State<S>, slots: usize) -> Result<Self, StateError> {
        state.set_witness_mode(true);
        let old_root = state.root()?;
        let witness = BatchWitness {
            batch_number: state.batch_number(),
            chain_id: state.config().chain_id,
            fee_account: AccountId(0),
            old_root,
            new_root: old_root,
            slots: Vec::new(),
            fees: Vec::new(),
        };
        Ok(BatchBuilder {
            state,
            slots,
            witness,
        })
    }

    /// The witness of `requests` applied in order in a batch of `slots` slots on `state`
    /// (Noops fill the rest); the first rejected request is the error.
    pub fn build<'r>(
        state: &'a mut State<S>,
        slots: usize,
        requests: impl IntoIterator<Item = &'r OpRequest>,
    ) -> Result<BatchWitness, StateError> {
        let mut builder = BatchBuilder::new(state, slots)?;
        for r in requests {
            builder.apply(r)?;
        }
        builder.finish()
    }

    /// The state as the operations so far left it.
    pub fn state(&self) -> &State<S> {
        self.state
    }

    /// Slots still free.
    pub fn free_slots(&self) -> usize {
        self.slots - self.witness.slots.len()
    }

    /// Applies one operation into the next slot. A rejected operation takes no slot.
    pub fn apply(&mut self, request: &OpRequest) -> Result<Applied, StateError> {
        assert!(self.free_slots() > 0, "the batch is full");
        let applied = self.state.apply(request)?;
        let w = applied.witness.clone().expect("witness mode");
        let limits = match request {
            OpRequest::Tx(L2Tx::Swap(s)) => [s.min_out.0, 0],
            OpRequest::Tx(L2Tx::AddLiquidity(l)) => [l.min_shares.0, 0],
            OpRequest::Tx(L2Tx::RemoveLiquidity(r)) => [r.min_a.0, r.min_b.0],
            _ => [0, 0],
        };
        let mut updates = w.updates;
        let dex = applied.op.is_dex();
        // A DEX operation's second update is the pool's first (the trader's come first).
        if dex
            && let Some(i) = updates
                .iter()
                .position(|u| u.account_id != updates[0].account_id)
        {
            let pool_first = updates.remove(i);
            updates.insert(1, pool_first);
        }
        let mut updates = updates.into_iter();
        let a = match updates.next() {
            Some(u) => u,
            None => self.state.probe(AccountId(0), TokenId(0))?,
        };
        let b = match updates.next() {
            Some(u) => u,
            None => self.state.probe(a.account_id, a.token)?,
        };
        self.witness.slots.push(SlotWitness {
            op: applied.op.clone(),
            a,
            b,
            signature: w.signature.unwrap_or_else(no_signature),
            rest: updates.collect(),
            limits,
        });
        Ok(applied)
    }

    /// The witness of a no-change update of `token` in account `id` at the current root.
    pub fn probe(&mut self, id: AccountId, token: TokenId) -> Result<AccountUpdate, StateError> {
        self.state.probe(id, token)
    }

    /// Fills the free slots with Noop, credits the fees and returns the witness.
    pub fn finish(mut self) -> Result<BatchWitness, StateError> {
        while self.free_slots() > 0 {
            self.apply(&OpRequest::Noop)?;
        }
        let fee_account = self.state.pending_fee_account();
        let sealed = self.state.seal_batch()?;
        let mut fees: Vec<FeeWitness> = sealed
            .fees
            .iter()
            .zip(sealed.fee_updates)
            .map(|((token, amount), update)| FeeWitness {
                token: *token,
                amount: *amount,
                update,
            })
            .collect();
        while fees.len() < MAX_FEE_TOKENS_PER_BATCH {
            let update = self.state.probe(fee_account, TokenId(0))?;
            fees.push(FeeWitness {
                token: TokenId(0),
                amount: 0,
                update,
            });
        }
        self.witness.fee_account = fee_account;
        self.witness.fees = fees;
        self.witness.new_root = self.state.root()?;
        Ok(self.witness)
    }
}

/// An all-Noop batch on the empty state: the witness used for setup and circuit statistics.
pub fn empty_batch(slots: usize, chain_id: ChainId) -> Result<BatchWitness, StateError> {
    let config = zkr_state::ChainConfig {
        chain_id,
        eip712: zkr_crypto::eth::Eip712Domain {
            l1_chain_id: 1,
            verifying_contract: Address::ZERO,
        },
    };
    let mut state = State::open(zkr_state::storage::MemoryStorage::new(), config)?;
    BatchBuilder::new(&mut state, slots)?.finish()
}
