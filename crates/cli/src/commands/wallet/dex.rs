//! `zkr wallet swap | pool create | add-liquidity | remove-liquidity | pools`: the DEX from the
//! wallet. Quotes and minimums come from the node's state (`zkr_getPool`, `zkr_quoteSwap`);
//! a minimum is the expected result less `--slippage` percent, rounded down to a packable
//! amount (which only loosens it).

use super::{Token, WaitFor, Wallet, format_units, parse_units};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use jsonrpsee::rpc_params;
use serde_json::Value;
use zkr_types::amm;
use zkr_types::dex::{AddLiquidity, CreatePool, PoolId, RemoveLiquidity, Swap};
use zkr_types::float::round_down_amount;
use zkr_types::tx::L2Tx;
use zkr_types::{Amount, ChainId, TokenId};

/// LP shares have 18 decimals, like the tokens they mostly pair.
pub const LP_DECIMALS: u8 = 18;

/// How much worse than expected a result may be.
#[derive(Debug, Clone, Args)]
pub struct Slippage {
    /// Accept a result up to this many percent below the expected one.
    #[arg(long, default_value_t = 0.5)]
    pub slippage: f64,
}

/// `zkr wallet pool ...`.
#[derive(Debug, Subcommand)]
pub enum PoolCommand {
    /// Creates the pool of a pair (no liquidity yet; `add-liquidity` seeds it).
    Create {
        /// The pair, e.g. ETH/DEV.
        #[arg(long)]
        pair: String,
        /// Wait until the transaction reaches this status.
        #[arg(long, value_enum)]
        wait: Option<WaitFor>,
    },
}

/// `expected` less `percent` %, rounded down to a packable amount.
pub fn minimum(expected: u128, percent: f64) -> Result<u128> {
    if !(0.0..=100.0).contains(&percent) {
        bail!("--slippage must be between 0 and 100 (percent), got {percent}");
    }
    // in millionths of a percent, exact for what a user types
    let keep = 100_000_000u128 - (percent * 1_000_000.0).round() as u128;
    let v = alloy::primitives::U256::from(expected) * alloy::primitives::U256::from(keep)
        / alloy::primitives::U256::from(100_000_000u64);
    Ok(round_down_amount(v.to::<u128>()))
}

/// A pair `A/B` in pool order (`a < b`), with whether the user named it the other way round.
fn ordered(x: Token, y: Token) -> Result<(Token, Token, bool)> {
    if x.id == y.id {
        bail!("a pair needs two different tokens");
    }
    Ok(if x.id < y.id {
        (x, y, false)
    } else {
        (y, x, true)
    })
}

impl Wallet {
    async fn pair(&self, s: &str) -> Result<(Token, Token, bool)> {
        let (x, y) = s
            .split_once('/')
            .with_context(|| format!("a pair is written A/B (e.g. ETH/DEV), got {s:?}"))?;
        ordered(self.token(x.trim()).await?, self.token(y.trim()).await?)
    }

    async fn pool(&self, a: &Token, b: &Token) -> Result<Value> {
        let p: Value = self.call("zkr_getPool", rpc_params![a.id, b.id]).await?;
        if p.is_null() {
            bail!(
                "no {}/{} pool: create it with `zkr wallet pool create --pair {}/{}`",
                a.symbol,
                b.symbol,
                a.symbol,
                b.symbol
            );
        }
        Ok(p)
    }

    async fn send(&self, tx: L2Tx, what: String, wait: Option<WaitFor>) -> Result<()> {
        let hash: String = self.call("zkr_sendTx", rpc_params![tx]).await?;
        eprintln!("{what}: {hash}");
        println!("{hash}");
        if let Some(want) = wait {
            self.wait_tx(&hash, want).await?;
        }
        Ok(())
    }

    /// `zkr wallet swap`.
    pub(super) async fn swap(
        &self,
        sell: &str,
        buy: &str,
        amount: &str,
        min_out: Option<&str>,
        slippage: f64,
        wait: Option<WaitFor>,
    ) -> Result<()> {
        let c = self.contracts().await?;
        let (sell, buy) = (self.token(sell).await?, self.token(buy).await?);
        let amount_in = self.amount(amount, &sell).await?;
        let quote: Value = self
            .call(
                "zkr_quoteSwap",
                rpc_params![sell.id, buy.id, amount_in.to_string()],
            )
            .await?;
        let out: u128 = quote["amountOut"].as_str().context("quote")?.parse()?;
        let min_out = match min_out {
            Some(m) => round_down_amount(parse_units(m, buy.decimals)?),
            None => minimum(out, slippage)?,
        };
        let (id, nonce, l2) = self.ready_account(&c, &sell).await?;
        let fee = self.fee("Swap", sell.id).await?;
        let pool = PoolId(quote["pool"].as_u64().context("quote without pool")? as u8);
        let tx = Swap::signed(
            &l2,
            ChainId(c.chain_id),
            id,
            pool,
            TokenId(sell.id),
            TokenId(buy.id),
            Amount(amount_in),
            Amount(min_out),
            Amount(fee),
            nonce,
        )?;
        let what = format!(
            "swapping {} {} for about {} {} (at least {}, price impact {:.2} %, fee {} {})",
            format_units(amount_in, sell.decimals),
            sell.symbol,
            format_units(out, buy.decimals),
            buy.symbol,
            format_units(min_out, buy.decimals),
            quote["priceImpactBps"].as_u64().unwrap_or(0) as f64 / 100.0,
            format_units(fee, sell.decimals),
            sell.symbol
        );
        self.send(L2Tx::Swap(tx), what, wait).await
    }

    /// `zkr wallet pool create`.
    pub(super) async fn create_pool(&self, pair: &str, wait: Option<WaitFor>) -> Result<()> {
        let c = self.contracts().await?;
        let (a, b, _) = self.pair(pair).await?;
        let (id, nonce, l2) = self.ready_account(&c, &a).await?;
        let fee = self.fee("CreatePool", a.id).await?;
        let tx = CreatePool::signed(
            &l2,
            ChainId(c.chain_id),
            id,
            (TokenId(a.id), TokenId(b.id)),
            Amount(fee),
            nonce,
        )?;
        let what = format!(
            "creating the {}/{} pool (fee {} {})",
            a.symbol,
            b.symbol,
            format_units(fee, a.decimals),
            a.symbol
        );
        self.send(L2Tx::CreatePool(tx), what, wait).await
    }

    /// `zkr wallet add-liquidity`.
    pub(super) async fn add_liquidity(
        &self,
        pair: &str,
        amount_a: &str,
        amount_b: &str,
        slippage: f64,
        wait: Option<WaitFor>,
    ) -> Result<()> {
        let c = self.contracts().await?;
        let (a, b, swapped) = self.pair(pair).await?;
        let (amount_a, amount_b) = if swapped {
            (amount_b, amount_a)
        } else {
            (amount_a, amount_b)
        };
        let (max_a, max_b) = (
            self.amount(amount_a, &a).await?,
            self.amount(amount_b, &b).await?,
        );
        let p = self.pool(&a, &b).await?;
        let n = |k: &str| -> Result<u128> { Ok(p[k].as_str().context("pool")?.parse()?) };
        let d = amm::add_liquidity(max_a, max_b, n("reserveA")?, n("reserveB")?, n("lpSupply")?)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let min_shares = minimum(d.shares, slippage)?;
        let (id, nonce, l2) = self.ready_account(&c, &a).await?;
        let fee = self.fee("AddLiquidity", a.id).await?;
        let pool = PoolId(p["id"].as_u64().context("pool without id")? as u8);
        let tx = AddLiquidity::signed(
            &l2,
            ChainId(c.chain_id),
            id,
            pool,
            (TokenId(a.id), TokenId(b.id)),
            Amount(max_a),
            Amount(max_b),
            Amount(min_shares),
            Amount(fee),
            nonce,
        )?;
        let what = format!(
            "adding {} {} and {} {} for about {} shares (at least {})",
            format_units(d.take_a, a.decimals),
            a.symbol,
            format_units(d.take_b, b.decimals),
            b.symbol,
            format_units(d.shares, LP_DECIMALS),
            format_units(min_shares, LP_DECIMALS)
        );
        self.send(L2Tx::AddLiquidity(tx), what, wait).await
    }

    /// `zkr wallet remove-liquidity`.
    pub(super) async fn remove_liquidity(
        &self,
        pair: &str,
        shares: Option<&str>,
        percent: Option<f64>,
        slippage: f64,
        wait: Option<WaitFor>,
    ) -> Result<()> {
        let c = self.contracts().await?;
        let (a, b, _) = self.pair(pair).await?;
        let p = self.pool(&a, &b).await?;
        let lp = p["lpToken"].as_u64().context("pool")?;
        let held: u128 = self
            .account()
            .await?
            .and_then(|acc| acc["balances"][lp.to_string()].as_str().map(str::to_string))
            .unwrap_or_default()
            .parse()
            .unwrap_or(0);
        let shares = match (shares, percent) {
            (Some(s), None) => parse_units(s, LP_DECIMALS)?,
            (None, Some(pc)) if pc > 0.0 && pc <= 100.0 => (alloy::primitives::U256::from(held)
                * alloy::primitives::U256::from((pc * 1_000_000.0).round() as u128)
                / alloy::primitives::U256::from(100_000_000u64))
            .to::<u128>(),
            (None, Some(pc)) => bail!("--percent must be in (0, 100], got {pc}"),
            _ => bail!("give --shares or --percent"),
        };
        if shares == 0 || shares > held {
            bail!(
                "you hold {} {}/{} shares; cannot remove {}",
                format_units(held, LP_DECIMALS),
                a.symbol,
                b.symbol,
                format_units(shares, LP_DECIMALS)
            );
        }
        let n = |k: &str| -> Result<u128> { Ok(p[k].as_str().context("pool")?.parse()?) };
        let (out_a, out_b) =
            amm::remove_liquidity(shares, n("reserveA")?, n("reserveB")?, n("lpSupply")?)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        let (min_a, min_b) = (minimum(out_a, slippage)?, minimum(out_b, slippage)?);
        let (id, nonce, l2) = self.ready_account(&c, &a).await?;
        let fee = self.fee("RemoveLiquidity", a.id).await?;
        let pool = PoolId(p["id"].as_u64().context("pool without id")? as u8);
        let tx = RemoveLiquidity::signed(
            &l2,
            ChainId(c.chain_id),
            id,
            pool,
            (TokenId(a.id), TokenId(b.id)),
            Amount(shares),
            Amount(min_a),
            Amount(min_b),
            Amount(fee),
            nonce,
        )?;
        let what = format!(
            "removing {} shares for about {} {} and {} {}",
            format_units(shares, LP_DECIMALS),
            format_units(out_a, a.decimals),
            a.symbol,
            format_units(out_b, b.decimals),
            b.symbol
        );
        self.send(L2Tx::RemoveLiquidity(tx), what, wait).await
    }

    /// `zkr wallet pools`.
    pub(super) async fn pools(&self) -> Result<()> {
        let pools: Vec<Value> = self.call("zkr_getPools", rpc_params![]).await?;
        let tokens: Vec<Token> = self.call("zkr_getTokens", rpc_params![]).await?;
        let sym = |id: &Value| {
            tokens
                .iter()
                .find(|t| Some(u64::from(t.id)) == id.as_u64())
                .map(|t| (t.symbol.clone(), t.decimals))
                .unwrap_or_else(|| (format!("#{id}"), 18))
        };
        println!(
            "{:<4} {:<12} {:>24} {:>24} {:>24} {:>6}",
            "pool", "pair", "reserve A", "reserve B", "LP shares", "fee"
        );
        for p in &pools {
            let (sa, da) = sym(&p["tokenA"]);
            let (sb, db) = sym(&p["tokenB"]);
            let n = |k: &str| p[k].as_str().unwrap_or("0").parse::<u128>().unwrap_or(0);
            println!(
                "{:<4} {:<12} {:>24} {:>24} {:>24} {:>5}%",
                p["id"],
                format!("{sa}/{sb}"),
                format_units(n("reserveA"), da),
                format_units(n("reserveB"), db),
                format_units(n("lpSupply"), LP_DECIMALS),
                p["feeBps"].as_u64().unwrap_or(0) as f64 / 100.0
            );
        }
        if pools.is_empty() {
            println!("(no pools yet: `zkr wallet pool create --pair ETH/DEV`)");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimums_are_below_the_expected_result_and_packable() {
        assert_eq!(minimum(1_000_000, 0.5).unwrap(), 995_000);
        assert_eq!(minimum(1_000_000, 0.0).unwrap(), 1_000_000);
        assert_eq!(minimum(1_000_000, 100.0).unwrap(), 0);
        let m = minimum(3_948_632_137_588_245_195, 0.5).unwrap();
        assert!(m <= 3_948_632_137_588_245_195 * 995 / 1000);
        assert!(zkr_types::float::is_amount_packable(m));
        assert!(minimum(1, -1.0).is_err());
        assert!(minimum(1, 101.0).is_err());
    }

    #[test]
    fn pairs_are_put_in_pool_order() {
        let t = |id: u16, s: &str| Token {
            id,
            address: alloy::primitives::Address::ZERO,
            symbol: s.into(),
            decimals: 18,
        };
        let (a, b, swapped) = ordered(t(1, "DEV"), t(0, "ETH")).unwrap();
        assert_eq!((a.id, b.id, swapped), (0, 1, true));
        let (a, b, swapped) = ordered(t(0, "ETH"), t(1, "DEV")).unwrap();
        assert_eq!((a.id, b.id, swapped), (0, 1, false));
        assert!(ordered(t(0, "ETH"), t(0, "ETH")).is_err());
    }
}
