//! `kasa-fixtures`: writes the demo store and benchmark catalogs.
//!
//! ```text
//! kasa-fixtures demo --out fixtures/demo
//! kasa-fixtures big --products 1000000 --barcodes 1500000 --out fixtures/generated
//! ```
//! Output is deterministic (fixed seeds): the demo files are committed, the
//! big ones are not (`fixtures/generated` is git-ignored).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kasa_terminal::catalog::generate::{demo, write_big_products};

#[derive(Debug, Parser)]
#[command(
    name = "kasa-fixtures",
    about = "Write Kasa's demo store and benchmark catalogs"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The demo store (products, prices, promotions, customers, users, store.json).
    Demo {
        /// Directory to write into.
        #[arg(long, default_value = "fixtures/demo")]
        out: PathBuf,
    },
    /// A large products.csv for benchmarks.
    Big {
        /// Number of products.
        #[arg(long, default_value_t = 1_000_000)]
        products: u64,
        /// Number of barcodes in total (at least one per product).
        #[arg(long, default_value_t = 1_500_000)]
        barcodes: u64,
        /// Directory to write products.csv into.
        #[arg(long, default_value = "fixtures/generated")]
        out: PathBuf,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match args.command {
        Command::Demo { out } => {
            let summary = demo::write_demo(&out)
                .with_context(|| format!("writing the demo store to {}", out.display()))?;
            println!(
                "wrote {}: {} products ({} weighed), {} barcodes, {} price tiers, {} promotions, {} customers, {} users",
                out.display(),
                summary.products,
                summary.weighed,
                summary.barcodes,
                summary.price_tiers,
                summary.promotions,
                summary.customers,
                summary.users
            );
        }
        Command::Big {
            products,
            barcodes,
            out,
            seed,
        } => {
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let path = out.join("products.csv");
            let started = Instant::now();
            let file =
                File::create(&path).with_context(|| format!("creating {}", path.display()))?;
            let rows = write_big_products(
                BufWriter::with_capacity(1 << 20, file),
                products,
                barcodes.max(products),
                seed,
            )
            .with_context(|| format!("writing {}", path.display()))?;
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            println!(
                "wrote {}: {rows} products, {} barcodes, {} MB in {} ms",
                path.display(),
                barcodes.max(products),
                bytes / 1_000_000,
                started.elapsed().as_millis()
            );
        }
    }
    Ok(())
}
