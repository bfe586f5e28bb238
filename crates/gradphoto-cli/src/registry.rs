//! `gradphoto registry …`: the registry's keys and codes from the command line, with no
//! database — make and rotate the key ring, publish its public key set, issue a code, and
//! verify a code offline against a published set (what the agency's desk does).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use gradphoto_domain::people::Level;
use gradphoto_registry_crypto::code::{self, CodeClaims, CodeError};
use gradphoto_registry_crypto::{CodeId, KeyRing, PublicKeySet};

use crate::photo::write_atomic;

#[derive(Subcommand)]
pub enum RegistryCmd {
    /// Make a new key ring (one signing and one sealing key) in FILE, readable by you only.
    Keygen {
        /// Where to write the key ring (secret).
        #[arg(short, long)]
        output: PathBuf,
        /// Replace an existing file (its keys are lost: codes it signed stop verifying).
        #[arg(long)]
        force: bool,
    },
    /// Add a new key and put it in use; older keys stay to verify and open what they made.
    Rotate {
        keyring: PathBuf,
        /// Rotate the signing key (collection codes).
        #[arg(long)]
        signing: bool,
        /// Rotate the sealing key (photo encryption).
        #[arg(long)]
        sealing: bool,
    },
    /// Print the public key set (JWKS-like JSON) with the given revoked code ids.
    Public {
        keyring: PathBuf,
        /// A code id to list as revoked (repeatable). Ids are base64url and may start with
        /// `-`, so a leading hyphen is part of the value, not an option.
        #[arg(long, allow_hyphen_values = true)]
        revoked: Vec<String>,
    },
    /// Issue a collection code and print it.
    Issue {
        keyring: PathBuf,
        /// School code (学校代码), e.g. 10384.
        #[arg(long)]
        school: String,
        /// Level: 专科/本科/硕士/博士 or associate/bachelor/master/doctor.
        #[arg(long)]
        level: String,
        /// Expected graduation year.
        #[arg(long)]
        year: u16,
        /// Masked name, e.g. 张*三.
        #[arg(long)]
        name_masked: String,
        /// Masked ID number, e.g. 3502**********123X.
        #[arg(long)]
        id_masked: String,
    },
    /// Verify a collection code offline against a published key set; exit 1 if refused.
    Verify {
        /// The code text (as scanned or pasted).
        code: String,
        /// The published key set (JSON), e.g. a cached copy of the registry's keys.
        #[arg(long)]
        keys: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn read_ring(path: &Path) -> anyhow::Result<KeyRing> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the key ring {}", path.display()))?;
    KeyRing::from_json(&text).with_context(|| format!("key ring {}", path.display()))
}

fn write_ring(path: &Path, ring: &KeyRing) -> anyhow::Result<()> {
    write_atomic(path, ring.to_json().as_bytes()).map_err(anyhow::Error::msg)
}

/// Runs a registry command; the exit status (0, or 1 for a refused code).
pub fn run(cmd: RegistryCmd) -> anyhow::Result<i32> {
    match cmd {
        RegistryCmd::Keygen { output, force } => {
            if output.exists() && !force {
                bail!(
                    "{} exists; pass --force to replace it (the codes its keys signed would stop verifying)",
                    output.display()
                );
            }
            let ring = KeyRing::generate(now_ms())?;
            write_ring(&output, &ring)?;
            let (sig, enc) = ring.active_ids();
            println!(
                "key ring written to {} (signing {}, sealing {})",
                output.display(),
                sig.unwrap_or("-"),
                enc.unwrap_or("-")
            );
        }
        RegistryCmd::Rotate {
            keyring,
            signing,
            sealing,
        } => {
            if !signing && !sealing {
                bail!("say which key to rotate: --signing, --sealing, or both");
            }
            let mut ring = read_ring(&keyring)?;
            if signing {
                println!("signing key in use: {}", ring.rotate_signing(now_ms())?);
            }
            if sealing {
                println!("sealing key in use: {}", ring.rotate_sealing(now_ms())?);
            }
            write_ring(&keyring, &ring)?;
        }
        RegistryCmd::Public { keyring, revoked } => {
            let ring = read_ring(&keyring)?;
            let ids = revoked
                .iter()
                .map(|r| {
                    r.parse::<CodeId>()
                        .with_context(|| format!("revoked id {r}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            println!("{}", ring.public(&ids, now_ms()).to_json());
        }
        RegistryCmd::Issue {
            keyring,
            school,
            level,
            year,
            name_masked,
            id_masked,
        } => {
            let ring = read_ring(&keyring)?;
            let level = Level::parse(&level).with_context(|| format!("unknown level {level}"))?;
            let claims = CodeClaims {
                school_code: school,
                level,
                graduation_year: year,
                name_masked,
                id_masked,
            };
            let (id, text) = code::issue(&ring, &claims).map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("code id {id}");
            println!("{text}");
        }
        RegistryCmd::Verify { code, keys, json } => {
            let text = std::fs::read_to_string(&keys)
                .with_context(|| format!("reading the key set {}", keys.display()))?;
            let set = PublicKeySet::from_json(&text)
                .with_context(|| format!("key set {}", keys.display()))?;
            return Ok(report(code::verify(&code, &set), json));
        }
    }
    Ok(0)
}

fn report(result: Result<code::VerifiedCode, CodeError>, json: bool) -> i32 {
    match result {
        Ok(v) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "valid": true,
                        "id": v.id.to_string(),
                        "kid": v.kid,
                        "school_code": v.claims.school_code,
                        "level": v.claims.level.as_str(),
                        "graduation_year": v.claims.graduation_year,
                        "name_masked": v.claims.name_masked,
                        "id_masked": v.claims.id_masked,
                    })
                );
            } else {
                println!(
                    "valid 有效: {} {} {} {} ({} {}, id {})",
                    v.claims.name_masked,
                    v.claims.id_masked,
                    v.claims.level.as_str(),
                    v.claims.graduation_year,
                    v.claims.school_code,
                    v.kid,
                    v.id
                );
            }
            0
        }
        Err(e) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"valid": false, "error": e.to_string(), "zh": e.zh(), "en": e.en()})
                );
            } else {
                println!("refused 拒绝: {}\n{}", e.zh(), e.en());
            }
            1
        }
    }
}
