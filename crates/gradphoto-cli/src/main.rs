//! `gradphoto`: one binary for the server, the worker, migrations, the demo, imports and
//! exports. Configuration is layered (defaults → `--config` TOML → `GRADPHOTO_*`
//! environment → flags); see `gradphoto config default`.

mod commands;
mod photo;
mod registry;
mod station;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// mimalloc rather than glibc's allocator: the photo engine allocates tens of megabytes per
/// photo, which glibc returns to the kernel and faults in again for the next one (see
/// `bench/README.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "gradphoto",
    version,
    about = "Graduation photo collection for universities, the photo agency and the registry"
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Database URL (sqlite://FILE or postgres://…); overrides the configuration.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Data directory (SQLite file, local photo storage).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, global = true)]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (with the background worker unless --no-worker).
    Serve {
        #[arg(long)]
        listen: Option<String>,
        #[arg(long)]
        no_worker: bool,
    },
    /// Run only the background worker.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Run everything on embedded defaults with demo data.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The registry student's earlier (admission) photo, for the reuse check; by
        /// default the portrait scripts/fetch-demo-data puts in demo-data/.
        #[arg(long)]
        earlier_photo: Option<std::path::PathBuf>,
    },
    /// Import data from files.
    #[command(subcommand)]
    Import(commands::ImportCmd),
    /// Export data to files.
    #[command(subcommand)]
    Export(commands::ExportCmd),
    /// Manage staff accounts.
    #[command(subcommand)]
    Staff(commands::StaffCmd),
    /// Configuration.
    #[command(subcommand)]
    Config(commands::ConfigCmd),
    /// The photo engine: check and standardize photos (no database needed).
    #[command(subcommand)]
    Photo(photo::PhotoCmd),
    /// The registry's keys and collection codes: keygen, rotate, publish, issue, verify
    /// offline (no database needed).
    #[command(subcommand)]
    Registry(registry::RegistryCmd),
    /// The hosted registry's administration: API clients, key rotation, published keys.
    #[command(subcommand, name = "registry-server")]
    RegistryServer(commands::RegistryServerCmd),
    /// The agency's link to the registry: stored tokens, delivering the outbox now.
    #[command(subcommand, name = "registry-link")]
    RegistryLink(commands::RegistryLinkCmd),
    /// The site laptop beside a tethered camera: send each new photo in the camera's
    /// folder to a queue's station, bound to the number at the camera (no database).
    Station(station::StationArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        // Pure work on local files: no configuration, database or async runtime.
        Command::Photo(cmd) => std::process::exit(photo::run(cmd)?),
        Command::Registry(cmd) => std::process::exit(registry::run(cmd)?),
        Command::Station(args) => std::process::exit(station::run(args)?),
        command => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(commands::run(Cli { command, ..cli }))
        }
    }
}
