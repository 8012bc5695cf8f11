//! `kasa-printer-sim`: a networked ESC/POS receipt printer for demos and
//! manual testing. Listens on TCP (default 127.0.0.1:9100), answers
//! `DLE EOT` status, and writes each job to `--jobs DIR` as `job-NNNN.bin`
//! (bytes), `job-NNNN.txt` (readable) and `job-NNNN.png` (picture). Type commands on stdin to change
//! its state: `offline`, `online`, `paper out`, `paper low`, `paper ok`,
//! `cover open`, `cover closed`, `drawer open`, `drawer closed`, `status`,
//! `quit`.

use std::io::BufRead;
use std::path::PathBuf;

use clap::Parser;
use kasa_drivers::printer::CodePage;
use kasa_drivers::sim::tcp_printer::{SimConfig, TcpPrinterSim};
use kasa_drivers::status::PaperState;

#[derive(Debug, Parser)]
#[command(
    name = "kasa-printer-sim",
    about = "Simulated ESC/POS receipt printer on TCP"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0 picks a free one).
    #[arg(long, default_value_t = 9100)]
    port: u16,
    /// Directory for received jobs.
    #[arg(long, default_value = "printer-jobs")]
    jobs: PathBuf,
    /// Code page used to decode jobs to text: cp866 or wpc1251.
    #[arg(long, default_value = "wpc1251")]
    code_page: String,
    /// Width in dots of the PNG preview written per job (384 for 58 mm,
    /// 576 for 80 mm; 0 writes none).
    #[arg(long, default_value_t = 576)]
    png_width: u16,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let code_page = match args.code_page.to_ascii_lowercase().as_str() {
        "cp866" | "pc866" => CodePage::Cp866,
        "wpc1251" | "cp1251" | "windows-1251" => CodePage::Wpc1251,
        other => return Err(format!("unknown code page `{other}` (cp866 or wpc1251)").into()),
    };
    let sim = TcpPrinterSim::start_with(
        (args.host.as_str(), args.port),
        SimConfig {
            code_page,
            job_dir: Some(args.jobs.clone()),
            png_width_dots: (args.png_width > 0).then_some(args.png_width),
        },
    )?;
    println!(
        "kasa-printer-sim listening on {} — printer URI {}",
        sim.addr(),
        sim.uri()
    );
    println!("jobs are written to {}", args.jobs.display());
    let mut quit = false;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        match line.trim() {
            "offline" => sim.set_offline(true),
            "online" => sim.set_offline(false),
            "paper out" => sim.set_paper(PaperState::Out),
            "paper low" => sim.set_paper(PaperState::NearEnd),
            "paper ok" => sim.set_paper(PaperState::Ok),
            "cover open" => sim.set_cover_open(true),
            "cover closed" => sim.set_cover_open(false),
            "drawer open" => sim.set_drawer_open(true),
            "drawer closed" => sim.set_drawer_open(false),
            "status" => {}
            "quit" | "exit" => {
                quit = true;
                break;
            }
            "" => continue,
            other => {
                eprintln!("unknown command `{other}`");
                continue;
            }
        }
        println!(
            "status: {:?}; jobs printed: {}",
            sim.status(),
            sim.print_jobs().len()
        );
    }
    // stdin closed (e.g. started in the background): keep serving.
    if !quit {
        loop {
            std::thread::park();
        }
    }
    Ok(())
}
