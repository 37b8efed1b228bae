//! The `zkr` command line: argument parsing and the commands behind the `zkr` binary.
//!
//! Each subcommand lives in its own module under [`commands`]; this file only parses and
//! dispatches. Errors reach the user as `error: ...` on stderr with a non-zero exit code.

mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// zkr: a zero-knowledge rollup for Ethereum.
#[derive(Debug, Parser)]
#[command(name = "zkr", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Hashes, keys and signatures compatible with circomlib/circomlibjs.
    #[command(subcommand)]
    Crypto(commands::crypto::CryptoCommand),
    /// The batch circuit: statistics, Solidity verifier, proof fixtures.
    #[command(subcommand)]
    Circuit(commands::circuit::CircuitCommand),
    /// Benchmarks; each prints one JSON line of figures.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Runs a node: sequencer, prover, L1 watcher and sender, JSON-RPC.
    Node(Box<commands::node::NodeArgs>),
    /// A prover fleet's worker: proves batches a node queued in Postgres (--prover-queue).
    Prover(commands::prover::ProverArgs),
    /// Starts a local devnet: anvil, the contracts, a node with its prover (DEVNET ONLY keys).
    Devnet(commands::devnet::DevnetArgs),
    /// Deposits, transfers, withdrawals, exits and balances.
    Wallet(commands::wallet::WalletArgs),
    /// Rebuilds the L2 state (a node's data dir) from L1 alone, checking every batch's root.
    Rebuild(commands::rebuild::RebuildArgs),
}

/// Parses the command line, runs the command and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Crypto(c) => commands::crypto::run(c),
        Command::Circuit(c) => commands::circuit::run(c),
        Command::Bench(b) => commands::bench::run(b),
        Command::Node(n) => commands::node::run(*n),
        Command::Prover(p) => commands::prover::run(p),
        Command::Devnet(d) => commands::devnet::run(d),
        Command::Wallet(w) => commands::wallet::run(w),
        Command::Rebuild(r) => commands::rebuild::run(r),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            match e.downcast_ref::<commands::node::Halted>() {
                Some(_) => ExitCode::from(commands::node::HALTED_EXIT_CODE),
                None => ExitCode::FAILURE,
            }
        }
    }
}
