//! A throwaway PostgreSQL cluster for tests: `initdb` and `pg_ctl` from the machine's PostgreSQL
//! (Debian's `postgresql` package: `/usr/lib/postgresql/<version>/bin`, or `$ZKR_PG_BIN`) in a
//! temp dir, on a free loopback port, stopped and removed on drop. Nothing depends on a system
//! service. As root (PostgreSQL refuses to run as root) the cluster runs as the `postgres` user.

use crate::FleetError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running cluster; stopped when dropped.
pub struct ThrowawayPostgres {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

fn fail(what: &str, e: impl std::fmt::Display) -> FleetError {
    FleetError::Postgres(format!("{what}: {e}"))
}

/// The directory of `initdb` and `pg_ctl`.
pub fn bin_dir() -> Result<PathBuf, FleetError> {
    if let Ok(dir) = std::env::var("ZKR_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| {
            fail(
                "no PostgreSQL in /usr/lib/postgresql (apt-get install postgresql, or set ZKR_PG_BIN)",
                e,
            )
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).ok_or_else(|| {
        fail(
            "no initdb under /usr/lib/postgresql/*/bin",
            "set ZKR_PG_BIN",
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl ThrowawayPostgres {
    /// Creates and starts a cluster with a `zkr` database, trusting local connections.
    pub fn start() -> Result<Self, FleetError> {
        let bin = bin_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("zkr-pg-")
            .tempdir()
            .map_err(|e| fail("temp dir", e))?;
        let data = dir.path().join("data");
        let as_postgres = is_root();
        if as_postgres {
            run(
                Command::new("chown").arg("postgres").arg(dir.path()),
                "chown",
            )?;
        }
        let port = free_port()?;
        let pg = ThrowawayPostgres {
            bin,
            data,
            _dir: dir,
            port,
            as_postgres,
        };
        let data = pg.data.to_string_lossy().to_string();
        pg.ctl(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "zkr",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        )?;
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off",
            pg.port
        );
        let log = pg.data.with_file_name("postgres.log");
        pg.ctl(
            "pg_ctl",
            &[
                "-D",
                &data,
                "-l",
                &log.to_string_lossy(),
                "-o",
                &opts,
                "-w",
                "start",
            ],
        )
        .map_err(|e| {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            fail("starting", format!("{e}\n{tail}"))
        })?;
        let port = pg.port.to_string();
        pg.ctl(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "zkr", "zkr"],
        )?;
        Ok(pg)
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("postgres://zkr@127.0.0.1:{}/zkr", self.port)
    }

    fn ctl(&self, program: &str, args: &[&str]) -> Result<(), FleetError> {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args);
        run(&mut cmd, program)
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<(), FleetError> {
    let out = cmd.output().map_err(|e| fail(what, e))?;
    if !out.status.success() {
        return Err(fail(
            what,
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ));
    }
    Ok(())
}

fn free_port() -> Result<u16, FleetError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| fail("free port", e))?;
    Ok(l.local_addr().map_err(|e| fail("free port", e))?.port())
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let data = self.data.to_string_lossy().to_string();
        let _ = self.ctl("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

/// Whether `path` holds a PostgreSQL cluster (for tests that check the temp dir).
pub fn is_cluster(path: &Path) -> bool {
    path.join("PG_VERSION").exists()
}
