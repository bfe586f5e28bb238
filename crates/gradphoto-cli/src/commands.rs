//! What each subcommand does. Every command goes through the same `App` use cases as the
//! web server, so the CLI is never a back door around validation, policy or audit.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use gradphoto_app::App;
use gradphoto_app::auth::{Staff, StaffInput};
use gradphoto_app::config::{Config, DEFAULT_TOML};
use gradphoto_db::accounts::StaffRow;
use gradphoto_domain::i18n::Lang;
use gradphoto_domain::policy::Role;
use serde_json::json;

use crate::{Cli, Command};

#[derive(Subcommand)]
pub enum ImportCmd {
    /// Import a roster (XLSX, XLS, CSV) for the university with this school code.
    Roster {
        #[arg(long)]
        school: String,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum ExportCmd {
    /// Export a university's roster to XLSX (ID numbers masked).
    Roster {
        #[arg(long)]
        school: String,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Export a campaign's progress to XLSX.
    Progress {
        #[arg(long)]
        campaign: i64,
        #[arg(long, default_value = "zh")]
        lang: String,
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum StaffCmd {
    /// Create a staff account; the password is read from GRADPHOTO_NEW_PASSWORD.
    Add {
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
        /// School code, for university roles.
        #[arg(long)]
        school: Option<String>,
        /// Department name, for department secretaries.
        #[arg(long)]
        department: Option<String>,
    },
}

/// The hosted registry's administration (needs `registry.host = true` and its master key).
#[derive(Subcommand)]
pub enum RegistryServerCmd {
    /// Register a school or the agency as an API client; prints its token once.
    Client {
        /// The client's name, e.g. 厦门大学.
        #[arg(long)]
        name: String,
        /// The school code, for a school.
        #[arg(long, conflicts_with = "agency")]
        school: Option<String>,
        /// Register an agency instead of a school.
        #[arg(long)]
        agency: bool,
    },
    /// Put a new signing and/or sealing key in use (old keys stay to verify and open).
    Rotate {
        #[arg(long)]
        signing: bool,
        #[arg(long)]
        sealing: bool,
    },
    /// Print the published key set (public keys and revoked code ids).
    Keys,
    /// Record a person's earlier photo (admission, or an earlier degree's), against which
    /// graduation photos are checked for reuse. Only its face hash is kept.
    EarlierPhoto {
        /// The person's ID number (kept only as a keyed hash).
        #[arg(long)]
        id_number: String,
        /// admission or degree.
        #[arg(long, default_value = "admission")]
        kind: String,
        file: std::path::PathBuf,
    },
}

/// The agency's credentials at the registry.
#[derive(Subcommand)]
pub enum RegistryLinkCmd {
    /// Store a token (read from GRADPHOTO_NEW_TOKEN) for `agency` or `school:<code>`,
    /// encrypted at rest.
    SetToken { scope: String },
    /// Deliver every pending outbox photo now (after an outage; normally the worker does).
    Deliver,
}

#[derive(Subcommand)]
pub enum ConfigCmd {
    /// Print every configuration key with its default and a comment.
    Default,
    /// Print the effective configuration (secrets hidden).
    Show,
}

fn overrides(cli: &Cli) -> serde_json::Value {
    let mut o = json!({});
    if let Some(u) = &cli.database_url {
        o["database"] = json!({ "url": u });
    }
    if let Some(d) = &cli.data_dir {
        o["data_dir"] = json!(d);
    }
    if let Some(f) = &cli.log_format {
        o["log"] = json!({ "format": f });
    }
    o
}

fn init_logging(c: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&c.log.level));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if c.log.format == "json" {
        b.json().init();
    } else {
        b.init();
    }
}

/// The command line acts with agency-admin rights, recorded as `cli` in the audit log.
fn cli_staff() -> Staff {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let row = StaffRow {
        id: 0,
        username: format!("cli:{user}"),
        display_name: "command line".into(),
        password_hash: String::new(),
        role: Role::AgencyAdmin.as_str().into(),
        university_id: None,
        department_id: None,
        disabled: false,
        created_at: 0,
    };
    Staff::from_row(row, Some("cli".into())).expect("agency_admin is a known role")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

async fn serve(app: App, listen: &str, worker: bool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = ?app.db.backend(), worker, "serving");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker_task = worker.then(|| {
        let app = app.clone();
        let mut rx = stop_rx.clone();
        tokio::spawn(async move {
            app.run_worker(async move {
                let _ = rx.changed().await;
            })
            .await
        })
    });
    gradphoto_web::serve(app, listener, shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    if let Some(t) = worker_task {
        let _ = t.await;
    }
    Ok(())
}

async fn school_id(app: &App, code: &str) -> anyhow::Result<i64> {
    Ok(app
        .db
        .find_university_by_code(code)
        .await?
        .with_context(|| format!("no university with school code {code}"))?
        .id)
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    // Write next to the target and rename, so a reader never sees half a file.
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The demo keeps its generated key next to its data, so a restarted demo can still read
/// the ID numbers it stored.
fn demo_key(dir: &Path, file: &str) -> anyhow::Result<String> {
    let p = dir.join(file);
    if let Ok(k) = std::fs::read_to_string(&p) {
        return Ok(k.trim().to_string());
    }
    std::fs::create_dir_all(dir)?;
    let k = gradphoto_app::pii::generate_key()?;
    std::fs::write(&p, &k)?;
    Ok(k)
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // `photo` and `registry` are dispatched in main, before the runtime; `config default`
    // needs no config.
    if let Command::Config(ConfigCmd::Default) = &cli.command {
        print!("{DEFAULT_TOML}");
        return Ok(());
    }
    let mut config = Config::load(cli.config.as_deref(), overrides(&cli))?;
    init_logging(&config);
    match &cli.command {
        Command::Config(ConfigCmd::Default)
        | Command::Photo(_)
        | Command::Registry(_)
        | Command::Station(_) => {
            unreachable!("handled above")
        }
        Command::RegistryServer(cmd) => {
            let app = App::start(config).await?;
            let reg = app.registry()?;
            match cmd {
                RegistryServerCmd::Client {
                    name,
                    school,
                    agency,
                } => {
                    let kind = if *agency {
                        gradphoto_registry::ClientKind::Agency
                    } else {
                        gradphoto_registry::ClientKind::School
                    };
                    if !*agency && school.is_none() {
                        bail!("give --school CODE for a school, or --agency");
                    }
                    let (c, token) = reg.register_client(name, kind, school.as_deref()).await?;
                    eprintln!(
                        "registered {} ({}); its token, shown once:",
                        c.name,
                        c.kind.as_str()
                    );
                    println!("{token}");
                }
                RegistryServerCmd::EarlierPhoto {
                    id_number,
                    kind,
                    file,
                } => {
                    let bytes = std::fs::read(file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let id = reg.record_earlier_photo(id_number, kind, &bytes).await?;
                    println!("recorded earlier photo {id} ({kind})");
                }
                RegistryServerCmd::Rotate { signing, sealing } => {
                    if !signing && !sealing {
                        bail!("say which key to rotate: --signing, --sealing, or both");
                    }
                    for id in reg.rotate(*signing, *sealing).await? {
                        println!("in use: {id}");
                    }
                }
                RegistryServerCmd::Keys => println!("{}", reg.public_keys().await?.to_json()),
            }
        }
        Command::RegistryLink(cmd) => {
            let app = App::start(config).await?;
            match cmd {
                RegistryLinkCmd::SetToken { scope } => {
                    if scope != "agency" && !scope.starts_with("school:") {
                        bail!("the scope is `agency` or `school:<code>`");
                    }
                    let token = std::env::var("GRADPHOTO_NEW_TOKEN")
                        .context("set GRADPHOTO_NEW_TOKEN to the token")?;
                    app.set_registry_token(scope, token.trim()).await?;
                    println!("stored the registry token for {scope}");
                }
                RegistryLinkCmd::Deliver => {
                    let n = app.sweep_outbox().await?;
                    let d = app.run_ready_jobs().await?;
                    println!(
                        "{n} pending; {} delivered or answered, {} failed (will retry)",
                        d.done, d.failed
                    );
                }
            }
        }
        Command::Config(ConfigCmd::Show) => {
            println!("{}", serde_json::to_string_pretty(&config)?);
        }
        Command::Migrate => {
            let app = App::start(config).await?;
            tracing::info!(backend = ?app.db.backend(), "database is up to date");
        }
        Command::Serve { listen, no_worker } => {
            if let Some(l) = listen {
                config.listen = l.clone();
            }
            let listen = config.listen.clone();
            let worker = config.worker.enabled && !no_worker;
            let app = App::start(config).await?;
            serve(app, &listen, worker).await?;
        }
        Command::Worker => {
            let app = App::start(config).await?;
            app.run_worker(shutdown_signal()).await;
        }
        Command::Demo {
            listen,
            earlier_photo,
        } => {
            // The agency side reaches the hosted registry at this address.
            config.listen = listen.clone();
            if config.database.url.is_empty() {
                std::fs::create_dir_all(&config.data_dir)?;
            }
            if secrecy::ExposeSecret::expose_secret(&config.security.pii_key).is_empty() {
                config.security.pii_key = demo_key(&config.data_dir, "demo-pii.key")?.into();
            }
            // The demo hosts the registry's side too, with its own key.
            config.registry.host = true;
            if secrecy::ExposeSecret::expose_secret(&config.registry.master_key).is_empty() {
                config.registry.master_key =
                    demo_key(&config.data_dir, "demo-registry.key")?.into();
            }
            config.security.cookie_secure = false;
            // The log SMS provider's messages (login codes) are shown on a demo-only page.
            config.sms.demo_inbox = true;
            // Payments are played by the clearly marked sandbox payer: no real money.
            if config.payments.mode == "off" {
                config.payments.mode = "sandbox".into();
            }
            let app = App::start(config).await?;
            let logins = app.seed_demo().await?;
            println!("\ngradphoto demo — http://{listen}/\n");
            println!("  {:<16} {:<24} scope", "username", "role");
            for l in &logins {
                println!("  {:<16} {:<24} {}", l.username, l.role.as_str(), l.note);
            }
            println!(
                "\n  password for every account: {}\n",
                gradphoto_app::demo::DEMO_PASSWORD
            );
            println!(
                "  online collection for students: http://{listen}/student/login (any mobile number; the code is in the demo SMS inbox, http://{listen}/demo/sms-inbox)\n"
            );
            if let Some(s) = app.demo_registry_student().await? {
                println!("  registry (学信网 stand-in): http://{listen}/registry");
                println!(
                    "    a student to sign in as: {} ({}), ID {}, level {}, name {}",
                    s.school, s.school_code, s.id_number, s.level, s.name
                );
                println!(
                    "    the same student collects online: their code is on the registry's page; school {}, the ID and level above",
                    s.school_code
                );
                seed_earlier_photo(&app, &s.id_number, earlier_photo.as_deref()).await?;
                if let Some(t) = app.demo_registry_students(2).await?.get(1) {
                    println!(
                        "    another student, for a second phone: {} ({}), ID {}, level {}, name {}",
                        t.school, t.school_code, t.id_number, t.level, t.name
                    );
                }
                println!(
                    "  payments: the sandbox payer (no real money) at the QR code's link, http://{listen}/sandbox/pay/..."
                );
                println!();
            }
            serve(app, listen, true).await?;
        }
        Command::Import(ImportCmd::Roster { school, file }) => {
            let app = App::start(config).await?;
            let id = school_id(&app, school).await?;
            let bytes =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            match app.import_roster(&cli_staff(), id, &name, &bytes).await {
                Ok(r) => {
                    app.run_ready_jobs().await?;
                    println!(
                        "imported {} rows: {} new, {} updated, {} unchanged",
                        r.rows, r.inserted, r.updated, r.unchanged
                    );
                }
                Err(gradphoto_app::AppError::ImportRejected(rows)) => {
                    eprintln!("nothing imported / 未导入任何数据: {} errors", rows.len());
                    for r in &rows {
                        eprintln!(
                            "  row {:>5} {:<12} {}",
                            r.row,
                            r.column.as_deref().unwrap_or(""),
                            r.msg
                        );
                    }
                    bail!("the roster was rejected");
                }
                Err(e) => bail!("{}", e.message()),
            }
        }
        Command::Export(ExportCmd::Roster { school, output }) => {
            let app = App::start(config).await?;
            let id = school_id(&app, school).await?;
            let bytes = app.export_roster(&cli_staff(), id, None).await?;
            write_file(output, &bytes)?;
            println!("wrote {}", output.display());
        }
        Command::Export(ExportCmd::Progress {
            campaign,
            lang,
            output,
        }) => {
            let app = App::start(config).await?;
            let lang = Lang::parse(lang).unwrap_or_default();
            let bytes = app
                .export_progress(&cli_staff(), *campaign, None, lang)
                .await?;
            write_file(output, &bytes)?;
            println!("wrote {}", output.display());
        }
        Command::Staff(StaffCmd::Add {
            username,
            role,
            name,
            school,
            department,
        }) => {
            let app = App::start(config).await?;
            let role = Role::parse(role).with_context(|| {
                format!(
                    "unknown role {role}; one of: {}",
                    Role::ALL.map(|r| r.as_str()).join(", ")
                )
            })?;
            let password = std::env::var("GRADPHOTO_NEW_PASSWORD")
                .context("set GRADPHOTO_NEW_PASSWORD to the new account's password")?;
            let university_id = match school {
                Some(s) => Some(school_id(&app, s).await?),
                None => None,
            };
            let department_id = match (university_id, department) {
                (Some(u), Some(d)) => Some(
                    app.db
                        .list_departments(u)
                        .await?
                        .into_iter()
                        .find(|x| &x.name == d)
                        .with_context(|| format!("no department {d}"))?
                        .id,
                ),
                _ => None,
            };
            let input = StaffInput {
                username: username.clone(),
                display_name: name.clone().unwrap_or_else(|| username.clone()),
                password,
                role,
                university_id,
                department_id,
            };
            app.create_staff(&cli_staff(), &input).await?;
            println!("created {username} ({})", role.as_str());
        }
    }
    Ok(())
}

/// Records the demo student's admission photo at the registry, from `--earlier-photo` or
/// the fetched demo portrait, so the reuse check has something to compare against
/// (recording it again on the next start is a no-op). Without either the demo runs on and
/// says what is missing.
async fn seed_earlier_photo(
    app: &App,
    id_number: &str,
    given: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let default =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo-data/astronaut.png");
    let path = given.unwrap_or(&default);
    let path = &path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    match std::fs::read(path) {
        Ok(bytes) => {
            app.registry()?
                .record_earlier_photo(id_number, "admission", &bytes)
                .await
                .with_context(|| format!("the earlier photo {}", path.display()))?;
            println!(
                "    their admission photo on file at the registry: {} (submitting it again is refused as reused)",
                path.display()
            );
        }
        Err(_) if given.is_none() => println!(
            "    no earlier photo seeded: {} is absent (run scripts/fetch-demo-data)",
            path.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    Ok(())
}
