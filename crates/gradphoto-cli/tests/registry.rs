//! `gradphoto registry …` as the registry's operator and the agency's desk use it: keys,
//! publication, issuing, offline verification, revocation and rotation.

use std::path::Path;
use std::process::{Command, Output};

fn gradphoto(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args(args)
        .output()
        .expect("run gradphoto")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `gradphoto registry issue` for a bachelor of school 10384, graduating 2027.
fn issue_as(ring: &Path, name_masked: &str) -> Output {
    gradphoto(&[
        "registry",
        "issue",
        path(ring),
        "--school",
        "10384",
        "--level",
        "本科",
        "--year",
        "2027",
        "--name-masked",
        name_masked,
        "--id-masked",
        "3502**********123X",
    ])
}

/// Issues a code with `ring`; returns (code id, code text).
fn issue(ring: &Path) -> (String, String) {
    let o = issue_as(ring, "张*三");
    assert!(o.status.success(), "{}", stderr(&o));
    let id = stderr(&o)
        .strip_prefix("code id ")
        .expect("the id on stderr")
        .to_owned();
    (id, stdout(&o))
}

fn publish(ring: &Path, out: &Path, revoked: &[&str]) {
    let mut args = vec!["registry", "public", path(ring)];
    for r in revoked {
        args.extend(["--revoked", r]);
    }
    let o = gradphoto(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(out, &o.stdout).expect("write the key set");
}

fn verify(code: &str, keys: &Path) -> (bool, serde_json::Value) {
    let o = gradphoto(&["registry", "verify", code, "--keys", path(keys), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(o.status.success(), v["valid"] == true);
    (o.status.success(), v)
}

#[test]
fn keys_codes_and_offline_verification_end_to_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ring = dir.path().join("ring.json");
    let keys = dir.path().join("keys.json");

    let o = gradphoto(&["registry", "keygen", "-o", path(&ring)]);
    assert!(o.status.success(), "{}", stderr(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&ring).expect("ring").permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the key ring must be private, mode {mode:o}"
        );
    }
    // Never overwritten by accident.
    let o = gradphoto(&["registry", "keygen", "-o", path(&ring)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--force"));

    publish(&ring, &keys, &[]);
    let published = std::fs::read_to_string(&keys).expect("keys");
    assert!(!published.contains("secret"));
    let (id, code) = issue(&ring);
    let (ok, v) = verify(&code, &keys);
    assert!(ok, "{v}");
    assert_eq!(v["name_masked"], "张*三");
    assert_eq!(v["level"], "bachelor");
    assert_eq!(v["id"], id.as_str());

    // Altered in transit: one character of the payload changed.
    let mut altered = code.clone().into_bytes();
    let i = altered.len() / 2;
    altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
    let (ok, v) = verify(&String::from_utf8(altered).expect("ascii"), &keys);
    assert!(!ok);
    assert!(v["zh"].as_str().is_some_and(|s| !s.is_empty()));

    // Forged with another ring: an unknown key.
    let other = dir.path().join("other.json");
    assert!(
        gradphoto(&["registry", "keygen", "-o", path(&other)])
            .status
            .success()
    );
    let (_, forged) = issue(&other);
    let (ok, v) = verify(&forged, &keys);
    assert!(!ok);
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("unknown key")),
        "{v}"
    );

    // Re-issued: the old code is revoked in the next published set.
    let (_, replacement) = issue(&ring);
    publish(&ring, &keys, &[&id]);
    let (ok, v) = verify(&code, &keys);
    assert!(!ok);
    assert!(v["zh"].as_str().is_some_and(|s| s.contains("作废")), "{v}");
    assert!(verify(&replacement, &keys).0);

    // Rotation: new codes use the new key, old codes still verify.
    let o = gradphoto(&["registry", "rotate", path(&ring), "--signing", "--sealing"]);
    assert!(o.status.success(), "{}", stderr(&o));
    publish(&ring, &keys, &[]);
    let (_, after) = issue(&ring);
    let (ok, v_after) = verify(&after, &keys);
    assert!(ok);
    let (ok, v_before) = verify(&replacement, &keys);
    assert!(ok);
    assert_ne!(v_after["kid"], v_before["kid"]);
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.json");
    let o = gradphoto(&["registry", "public", path(&missing)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("missing.json"));
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "not json").expect("write");
    let o = gradphoto(&["registry", "verify", "GPC1.AAAA", "--keys", path(&garbage)]);
    assert!(!o.status.success());
    let ring = dir.path().join("ring.json");
    assert!(
        gradphoto(&["registry", "keygen", "-o", path(&ring)])
            .status
            .success()
    );
    let o = gradphoto(&["registry", "rotate", path(&ring)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--signing"));
    let o = issue_as(&ring, "张三");
    assert!(!o.status.success(), "an unmasked name must not be issued");
    // Ids are base64url: one in 64 starts with '-', which must still be read as the value.
    let keys = dir.path().join("keys.json");
    publish(&ring, &keys, &["-AAAAAAAAAAAAAAAAAAAAA"]);
    let set = std::fs::read_to_string(&keys).expect("keys");
    assert!(set.contains("\"-AAAAAAAAAAAAAAAAAAAAA\""), "{set}");
}
