//! `gradphoto station watch` (and the watcher of `gradphoto station serve`): runs on the
//! site laptop beside a tethered camera. It watches the folder the camera software writes
//! into and sends each new photo to the queue's station — the server's, or the offline
//! station on this laptop — bound to the number that was at the camera when the file
//! appeared. A file is
//! taken only once complete: its size and time have not changed for two polls and its
//! bytes end as a whole JPEG or PNG ends. Sent files move to `done/`, photos the engine
//! refused to `refused/`, and photos that could not be bound (nobody at the camera, or
//! the camera moved on) to `unbound/` — never to another number. Watching the server's
//! station needs no database: it speaks to the server's JSON API.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use serde_json::Value;

#[derive(clap::Args, Debug)]
pub struct WatchArgs {
    /// The gradphoto server, e.g. https://photos.example.edu.cn
    #[arg(long)]
    server: String,
    /// The queue's id (as in /onsite/queues/ID/station).
    #[arg(long)]
    queue: i64,
    /// The folder the camera software writes photos into.
    #[arg(long)]
    folder: PathBuf,
    /// A photographer's (or agency admin's) account.
    #[arg(long, env = "GRADPHOTO_STATION_USER")]
    user: String,
    #[arg(long, env = "GRADPHOTO_STATION_PASSWORD", hide_env_values = true)]
    password: String,
    /// The background the photos are judged against: blue, white or grey.
    #[arg(long, default_value = "blue")]
    background: String,
    /// How often the folder is looked at, in milliseconds.
    #[arg(long, default_value_t = 400)]
    poll_ms: u64,
    /// Stop after handling this many files (0: run until stopped).
    #[arg(long, default_value_t = 0)]
    max_files: usize,
}

/// What the watcher knows of a file it has seen.
#[derive(Debug, Clone)]
struct Seen {
    size: u64,
    modified: Option<SystemTime>,
    /// Polls in a row with the same size and time.
    stable: u32,
    /// The number at the camera when the file first appeared.
    number: Option<i64>,
}

/// Whether the bytes are a whole image: a JPEG ends with its EOI marker (trailing
/// padding allowed), a PNG with its IEND chunk. Other files are judged by size alone.
pub fn looks_complete(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        return end >= 4 && bytes[..end].ends_with(&[0xFF, 0xD9]);
    }
    if bytes.starts_with(b"\x89PNG") {
        return bytes.ends_with(b"IEND\xAE\x42\x60\x82");
    }
    !bytes.is_empty()
}

fn is_photo(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with('.') || name.starts_with('~') {
        return false;
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(ext.as_str(), "jpg" | "jpeg" | "png")
}

pub(super) struct Client {
    pub(super) http: reqwest::Client,
    pub(super) base: String,
    pub(super) token: String,
    args_user: String,
    args_password: String,
}

impl Client {
    pub(super) fn new(server: &str, user: &str, password: &str) -> Result<Client> {
        Ok(Client {
            http: gradphoto_app::registry_link::http_client()
                .map_err(|e| anyhow::anyhow!("HTTP client: {e}"))?,
            base: server.trim_end_matches('/').to_string(),
            token: String::new(),
            args_user: user.to_string(),
            args_password: password.to_string(),
        })
    }

    pub(super) async fn login(&mut self) -> Result<()> {
        let r = self
            .http
            .post(format!("{}/api/session", self.base))
            .json(
                &serde_json::json!({ "username": self.args_user, "password": self.args_password }),
            )
            .send()
            .await
            .context("reaching the server")?;
        if !r.status().is_success() {
            bail!(
                "sign-in refused ({}): {}",
                r.status(),
                r.text().await.unwrap_or_default()
            );
        }
        let v: Value = r.json().await.context("sign-in answer")?;
        self.token = v["token"].as_str().unwrap_or_default().to_string();
        Ok(())
    }

    /// The number at the camera that can take a photo, if any.
    async fn current(&self, queue: i64) -> Result<Option<i64>> {
        let r = self
            .http
            .get(format!("{}/api/onsite/queues/{queue}/station", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .context("reaching the server")?;
        if !r.status().is_success() {
            bail!("station state: {}", r.status());
        }
        let v: Value = r.json().await.context("station state")?;
        let c = &v["current"];
        Ok(match (c["number"].as_i64(), c["stage"].as_str()) {
            (Some(n), Some(stage)) if stage != "confirmed" => Some(n),
            _ => None,
        })
    }

    async fn send(
        &self,
        queue: i64,
        number: i64,
        name: &str,
        bytes: Vec<u8>,
        background: &str,
    ) -> Result<(reqwest::StatusCode, Value)> {
        let form = reqwest::multipart::Form::new()
            .text("number", number.to_string())
            .text("background", background.to_string())
            .text("source", "hot_folder")
            .part(
                "photo",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            );
        let r = self
            .http
            .post(format!(
                "{}/api/onsite/queues/{queue}/station/photo",
                self.base
            ))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .context("reaching the server")?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        Ok((status, v))
    }
}

fn move_to(path: &Path, folder: &Path, sub: &str, prefix: &str) -> Result<PathBuf> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("photo");
    let dest = folder.join(sub).join(format!("{prefix}{name}"));
    std::fs::rename(path, &dest).with_context(|| format!("moving {}", path.display()))?;
    Ok(dest)
}

fn reasons(v: &Value) -> String {
    v["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    format!(
                        "{} {} / {}",
                        r["code"].as_str().unwrap_or(""),
                        r["zh"].as_str().unwrap_or(""),
                        r["en"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// Where the watcher sends photos.
pub(super) enum Target {
    /// The server's station for a queue.
    Server(Client, i64),
    /// The offline station on this laptop.
    Local(gradphoto_station::Station),
}

/// What became of a photo sent to the station.
enum Sent {
    Bound(String),
    Refused(String),
    /// Not bound to the number (the camera moved on): why.
    Unbound(String),
    /// The station could not be reached or failed: try again.
    Retry(String),
}

impl Target {
    async fn current(&self) -> Option<i64> {
        match self {
            Target::Server(client, queue) => client.current(*queue).await.unwrap_or(None),
            Target::Local(station) => station
                .camera_view()
                .await
                .ok()
                .and_then(|v| v.current)
                .filter(|c| c.checkin.stage != "confirmed")
                .map(|c| c.checkin.number),
        }
    }

    async fn send(&mut self, number: i64, name: &str, bytes: Vec<u8>, background: &str) -> Sent {
        match self {
            Target::Server(client, queue) => {
                let mut answer = client
                    .send(*queue, number, name, bytes.clone(), background)
                    .await;
                if matches!(&answer, Ok((s, _)) if *s == reqwest::StatusCode::UNAUTHORIZED) {
                    if let Err(e) = client.login().await {
                        return Sent::Retry(format!("{e:#}"));
                    }
                    answer = client.send(*queue, number, name, bytes, background).await;
                }
                match answer {
                    Ok((status, v)) if status == reqwest::StatusCode::CREATED => {
                        Sent::Bound(format!(
                            "photo #{} ({})",
                            v["photo_id"],
                            v["verdict"].as_str().unwrap_or("")
                        ))
                    }
                    Ok((status, v)) if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY => {
                        Sent::Refused(reasons(&v))
                    }
                    Ok((status, v)) if status.is_client_error() => Sent::Unbound(format!(
                        "{status}: {} / {}",
                        v["zh"].as_str().unwrap_or(""),
                        v["en"].as_str().unwrap_or("")
                    )),
                    Ok((status, _)) => Sent::Retry(format!("server answered {status}")),
                    Err(e) => Sent::Retry(format!("{e:#}")),
                }
            }
            Target::Local(station) => {
                use gradphoto_station::{Shot, StationError};
                match station
                    .take_photo(number, bytes, background, "hot_folder", "hot folder")
                    .await
                {
                    Ok(Shot::Bound(p)) => Sent::Bound(format!("photo #{} ({})", p.id, p.verdict)),
                    Ok(Shot::Refused(report)) => Sent::Refused(
                        report
                            .reasons
                            .iter()
                            .map(|r| format!("{} {} / {}", r.code, r.zh, r.en))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                    Err(StationError::Refused(m)) => Sent::Unbound(format!("{} / {}", m.zh, m.en)),
                    Err(e) => Sent::Retry(e.to_string()),
                }
            }
        }
    }
}

pub fn run(args: WatchArgs) -> Result<i32> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut client = Client::new(&args.server, &args.user, &args.password)?;
        client.login().await?;
        println!(
            "station: watching {} for queue {} (采集工位已就绪 / ready)",
            args.folder.display(),
            args.queue
        );
        let target = Target::Server(client, args.queue);
        watch(
            &args.folder,
            &args.background,
            args.poll_ms,
            args.max_files,
            target,
        )
        .await
    })
}

/// Watches `folder` until `max_files` photos were handled (0: for ever).
pub(super) async fn watch(
    folder: &Path,
    background: &str,
    poll_ms: u64,
    max_files: usize,
    mut target: Target,
) -> Result<i32> {
    for sub in ["done", "refused", "unbound"] {
        std::fs::create_dir_all(folder.join(sub))
            .with_context(|| format!("creating {}", folder.join(sub).display()))?;
    }
    let poll = Duration::from_millis(poll_ms.max(50));
    let mut seen: HashMap<PathBuf, Seen> = HashMap::new();
    let mut handled = 0usize;
    loop {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(folder)
            .with_context(|| format!("reading {}", folder.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_photo(p))
            .collect();
        entries.sort();
        seen.retain(|p, _| entries.contains(p));
        for path in entries {
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let (size, modified) = (meta.len(), meta.modified().ok());
            let first_sight = !seen.contains_key(&path);
            if first_sight {
                // The number at the camera when the photo appeared is the one it is for.
                let number = target.current().await;
                seen.insert(
                    path.clone(),
                    Seen {
                        size,
                        modified,
                        stable: 0,
                        number,
                    },
                );
                continue;
            }
            let Some(s) = seen.get_mut(&path) else {
                continue;
            };
            if s.size != size || s.modified != modified {
                s.size = size;
                s.modified = modified;
                s.stable = 0;
                continue;
            }
            s.stable += 1;
            if s.stable < 2 {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            if !looks_complete(&bytes) {
                continue;
            }
            let number = s.number;
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("photo")
                .to_string();
            let Some(number) = number else {
                let to = move_to(&path, folder, "unbound", "")?;
                println!(
                    "{name}: 照片出现时没有在拍的号，未绑定 / nobody was at the camera when it appeared; kept in {}",
                    to.display()
                );
                seen.remove(&path);
                handled += 1;
                continue;
            };
            match target.send(number, &name, bytes, background).await {
                Sent::Bound(what) => {
                    move_to(&path, folder, "done", &format!("{number}-"))?;
                    println!("{name}: {number} 号 / number {number}: {what}");
                }
                Sent::Refused(why) => {
                    move_to(&path, folder, "refused", &format!("{number}-"))?;
                    println!(
                        "{name}: {number} 号照片不合格，请重拍 / number {number}: refused, retake: {why}"
                    );
                }
                Sent::Unbound(why) => {
                    move_to(&path, folder, "unbound", &format!("{number}-"))?;
                    println!("{name}: 未绑定 / not bound ({why})");
                }
                Sent::Retry(why) => {
                    eprintln!("{name}: {why}; trying again");
                    continue;
                }
            }
            seen.remove(&path);
            handled += 1;
        }
        if max_files > 0 && handled >= max_files {
            return Ok(0);
        }
        tokio::time::sleep(poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_off_image_is_not_complete() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9];
        assert!(looks_complete(&jpeg));
        assert!(looks_complete(&[&jpeg[..], &[0, 0, 0]].concat()), "padding");
        assert!(!looks_complete(&jpeg[..6]), "cut off");
        let png = [&b"\x89PNG\r\n\x1a\n"[..], b"....", b"IEND\xAE\x42\x60\x82"].concat();
        assert!(looks_complete(&png));
        assert!(!looks_complete(&png[..png.len() - 2]));
        assert!(!looks_complete(&[]));
    }

    #[test]
    fn only_photos_are_watched() {
        assert!(is_photo(Path::new("/x/IMG_0001.JPG")));
        assert!(is_photo(Path::new("/x/a.png")));
        assert!(
            !is_photo(Path::new("/x/.IMG_0001.jpg")),
            "hidden, being written"
        );
        assert!(!is_photo(Path::new("/x/IMG_0001.jpg.part")));
        assert!(!is_photo(Path::new("/x/notes.txt")));
    }
}
