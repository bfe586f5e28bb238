//! The offline station's commands. `prepare` takes the queue for this station and stores
//! the pack; `serve` runs the day's pages on this laptop from its own store (and the
//! camera's folder); `push` sends back what the server does not have yet, one number per
//! request, recording the server's answer for each; `release` gives the queue back once
//! everything is pushed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use gradphoto_domain::onsite_offline::{Pack, PushAnswer, PushOutcome};
use gradphoto_station::Station;
use serde_json::{Value, json};

use super::watch::{Client, Target, watch};

#[derive(clap::Args, Debug)]
pub struct PrepareArgs {
    /// The gradphoto server, e.g. https://photos.example.edu.cn
    #[arg(long)]
    server: String,
    /// The queue this station takes for the day (as in /onsite/queues/ID/desk).
    #[arg(long)]
    queue: i64,
    /// This station's name, e.g. 105-laptop: it appears in the server's records.
    #[arg(long)]
    station: String,
    /// The folder of this station's own store.
    #[arg(long)]
    data: PathBuf,
    #[arg(long, env = "GRADPHOTO_STATION_USER")]
    user: String,
    #[arg(long, env = "GRADPHOTO_STATION_PASSWORD", hide_env_values = true)]
    password: String,
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[arg(long)]
    data: PathBuf,
    /// Where the pages are served: the desk, camera, confirmation and display screens on
    /// the site's own network.
    #[arg(long, default_value = "127.0.0.1:8700")]
    listen: String,
    /// The camera's folder, if a tethered camera writes into one.
    #[arg(long)]
    folder: Option<PathBuf>,
    /// The background the photos are judged against: blue, white or grey.
    #[arg(long, default_value = "blue")]
    background: String,
    #[arg(long, default_value_t = 400)]
    poll_ms: u64,
    /// The site's key (the screens open the printed address once); random when not given.
    #[arg(long, env = "GRADPHOTO_STATION_KEY", hide_env_values = true)]
    key: Option<String>,
    /// The Chinese TrueType font the shooting sheet is printed in.
    #[arg(long, default_value = gradphoto_pdf::DEFAULT_FONT_PATH)]
    font: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct PushArgs {
    #[arg(long)]
    data: PathBuf,
    #[arg(long, env = "GRADPHOTO_STATION_USER")]
    user: String,
    #[arg(long, env = "GRADPHOTO_STATION_PASSWORD", hide_env_values = true)]
    password: String,
}

#[derive(clap::Args, Debug)]
pub struct ReleaseArgs {
    #[arg(long)]
    data: PathBuf,
    #[arg(long, env = "GRADPHOTO_STATION_USER")]
    user: String,
    #[arg(long, env = "GRADPHOTO_STATION_PASSWORD", hide_env_values = true)]
    password: String,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

async fn open(data: &Path) -> Result<Station> {
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    let engine = gradphoto_photo::Engine::new().context("loading the face models")?;
    Station::open(&data.join("station.sqlite"), Arc::new(engine))
        .await
        .with_context(|| format!("opening the station's store in {}", data.display()))
}

/// Answers the server's refusal in both languages.
async fn refused(r: reqwest::Response, what: &str) -> anyhow::Error {
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    anyhow::anyhow!(
        "{what} refused ({status}): {} / {}",
        v["zh"].as_str().unwrap_or(""),
        v["en"].as_str().unwrap_or("")
    )
}

async fn post(client: &Client, path: &str, body: &Value) -> Result<reqwest::Response> {
    client
        .http
        .post(format!("{}/api{path}", client.base))
        .bearer_auth(&client.token)
        .json(body)
        .send()
        .await
        .context("reaching the server (是否已联网？/ is the network up?)")
}

pub fn prepare(args: PrepareArgs) -> Result<i32> {
    runtime()?.block_on(async {
        let station = open(&args.data).await?;
        let mut client = Client::new(&args.server, &args.user, &args.password)?;
        client.login().await?;
        let store = station.store_id().await?;
        let r = post(
            &client,
            &format!("/onsite/queues/{}/offline", args.queue),
            &json!({ "station": args.station, "store": store }),
        )
        .await?;
        if !r.status().is_success() {
            return Err(refused(r, "taking the queue").await);
        }
        let pack: Pack = r.json().await.context("the server's pack")?;
        station.store_pack(&client.base, &pack).await?;
        println!(
            "station {}: queue {} ({} {} {} {}–{}) is held by this station; {} students, numbers from {} \
             (离线采集站已就绪 / ready to work offline)",
            pack.station,
            pack.queue.name,
            pack.session.campus,
            pack.session.place,
            pack.session.day,
            pack.session.starts,
            pack.session.ends,
            pack.students.len(),
            pack.queue.last_number + 1
        );
        Ok(0)
    })
}

pub fn serve(args: ServeArgs) -> Result<i32> {
    runtime()?.block_on(async {
        let station = open(&args.data).await?;
        let (pack, _) = station
            .pack()
            .await
            .context("run `gradphoto station prepare` first, while the server can be reached")?;
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let key = match args.key.clone().filter(|k| !k.trim().is_empty()) {
            Some(k) => k.trim().to_string(),
            None => {
                let mut bytes = [0u8; 16];
                getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("randomness: {e}"))?;
                bytes.iter().map(|b| format!("{b:02x}")).collect()
            }
        };
        let addr = listener.local_addr()?;
        println!(
            "station {}: queue {}; open http://{addr}/?key={key} on each screen once \
             (desk /, camera /camera, confirmation /confirm, display /display)",
            pack.station, pack.queue.name,
        );
        let font = match std::fs::read(&args.font)
            .map_err(|e| e.to_string())
            .and_then(|b| gradphoto_pdf::Font::from_bytes(b).map_err(|e| e.to_string()))
        {
            Ok(f) => Some(Arc::new(f)),
            Err(e) => {
                eprintln!(
                    "the shooting sheet cannot be printed: font {}: {e} (run scripts/fetch-fonts)",
                    args.font.display()
                );
                None
            }
        };
        let site = gradphoto_web::offline_site::serve(station.clone(), key, font, listener);
        match args.folder {
            Some(folder) => {
                let watcher = watch(
                    &folder,
                    &args.background,
                    args.poll_ms,
                    0,
                    Target::Local(station),
                );
                tokio::select! {
                    r = site => r.context("serving the pages")?,
                    r = watcher => { r?; }
                }
            }
            None => site.await.context("serving the pages")?,
        }
        Ok(0)
    })
}

pub fn push(args: PushArgs) -> Result<i32> {
    runtime()?.block_on(async {
        let station = open(&args.data).await?;
        let (pack, server) = station.pack().await?;
        let mut client = Client::new(&server, &args.user, &args.password)?;
        client.login().await?;
        let store = station.store_id().await?;
        let pending = station.pending().await?;
        let (mut recorded, mut had, mut conflicts, mut failed) = (0, 0, 0, 0);
        for p in &pending {
            // One number per request, its images read just before it is sent.
            let body = json!({
                "station": pack.station,
                "store": store,
                "checkins": [station.with_images(p).await?.checkin],
            });
            let path = format!("/onsite/queues/{}/offline/push", pack.queue.id);
            let mut r = post(&client, &path, &body).await?;
            if r.status() == reqwest::StatusCode::UNAUTHORIZED {
                client.login().await?;
                r = post(&client, &path, &body).await?;
            }
            if r.status().is_server_error() {
                return Err(refused(r, &format!("pushing number {}", p.checkin.number)).await);
            }
            if !r.status().is_success() {
                // This number is refused as sent: say so and go on with the others.
                eprintln!(
                    "{}",
                    refused(r, &format!("number {}", p.checkin.number)).await
                );
                failed += 1;
                continue;
            }
            let v: Value = r.json().await.context("the server's answer")?;
            let answers: Vec<PushAnswer> =
                serde_json::from_value(v["answers"].clone()).context("the server's answer")?;
            let Some(answer) = answers
                .iter()
                .find(|a| a.reference == p.checkin.reference)
            else {
                bail!("the server did not answer for number {}", p.checkin.number);
            };
            station.record_answer(p, answer).await?;
            match answer.outcome {
                PushOutcome::Recorded => recorded += 1,
                PushOutcome::AlreadyHad => had += 1,
                PushOutcome::Conflict => {
                    conflicts += 1;
                    println!(
                        "{} 号 / number {}: 冲突，待管理员处理 / conflict for an admin: {} / {}",
                        p.checkin.number, p.checkin.number, answer.zh, answer.en
                    );
                }
            }
        }
        println!(
            "pushed {} numbers: {recorded} recorded, {had} the server had already, {conflicts} conflicts, \
             {failed} refused{}",
            pending.len(),
            if failed == 0 { " (已同步 / in sync)" } else { " (未全部同步 / not all in sync)" }
        );
        Ok(if failed == 0 { 0 } else { 1 })
    })
}

pub fn release(args: ReleaseArgs) -> Result<i32> {
    runtime()?.block_on(async {
        let station = open(&args.data).await?;
        let (pack, server) = station.pack().await?;
        let pending = station.pending().await?;
        if !pending.is_empty() {
            bail!(
                "{} numbers are not pushed yet: run `gradphoto station push` first \
                 (还有未同步的记录，请先推送)",
                pending.len()
            );
        }
        let mut client = Client::new(&server, &args.user, &args.password)?;
        client.login().await?;
        let r = post(
            &client,
            &format!("/onsite/queues/{}/offline/release", pack.queue.id),
            &json!({ "station": pack.station, "store": station.store_id().await? }),
        )
        .await?;
        if !r.status().is_success() {
            return Err(refused(r, "giving the queue back").await);
        }
        println!(
            "queue {} is back with the server's desks (队列已交还)",
            pack.queue.name
        );
        Ok(0)
    })
}
