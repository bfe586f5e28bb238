//! What several registry tests share: a reported student, and a photo sealed for a code
//! against the key set the server publishes.

use std::path::PathBuf;

use base64::Engine;
use gradphoto_registry::ReportedStudent;
use gradphoto_registry_crypto::{PublicKeySet, code, seal};
use gradphoto_testkit::TestApp;

/// A student as a school reports it; level and department vary by test, the rest is shape.
pub fn student(level: &str, department: &str, no: &str, name: &str, id: &str) -> ReportedStudent {
    ReportedStudent {
        enrolment_id: no.into(),
        level: level.into(),
        expected_graduation: "2027-06".into(),
        department: department.into(),
        name: name.into(),
        id_number: id.into(),
    }
}

/// `photo` sealed (HPKE) for the code `code_text`, base64 as the intake's JSON carries it.
pub async fn sealed_b64(t: &TestApp, code_text: &str, photo: &[u8]) -> String {
    let body = t
        .client()
        .http
        .get(format!("{}/registry/v1/keys", t.url))
        .send()
        .await
        .expect("keys")
        .text()
        .await
        .expect("body");
    let keys = PublicKeySet::from_json(&body).expect("key set");
    let id = code::verify(code_text, &keys).expect("valid code").id;
    let sealed = seal::seal(&keys, &id, photo).expect("seal").to_bytes();
    base64::engine::general_purpose::STANDARD.encode(sealed)
}

/// The labelled DEV photos, read in place (never copied into the repo).
pub fn dev_dir() -> Option<PathBuf> {
    gradphoto_testkit::photos_dev_dir()
}

/// The campaign form as the edit page posts it, filled from `f`.
pub fn campaign_form(f: &gradphoto_app::campaigns::CampaignInput) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("name", f.name.clone()),
        ("cohort", f.cohort.clone()),
        ("target_terms", f.target_terms.clone()),
        ("prior_void_on_or_before", f.prior_void_on_or_before.clone()),
        ("onsite_from", f.onsite_from.clone()),
        ("onsite_to", f.onsite_to.clone()),
        ("online_from", f.online_from.clone()),
        ("online_to", f.online_to.clone()),
        ("makeup_deadline", f.makeup_deadline.clone()),
        ("makeup_recommended_by", f.makeup_recommended_by.clone()),
        ("verify_from", f.verify_from.clone()),
        ("verify_to", f.verify_to.clone()),
        ("verify_resolve_by", f.verify_resolve_by.clone()),
        ("registration_deadline", f.registration_deadline.clone()),
        ("fee_yuan", f.fee_yuan.clone()),
        ("contacts", f.contacts.clone()),
    ];
    v.extend(f.levels.iter().map(|l| ("levels", l.as_str().to_string())));
    for (flag, on) in [
        ("exclude_single_certificate", f.exclude_single_certificate),
        ("exclude_overseas_class", f.exclude_overseas_class),
        ("international_only", f.international_only),
        ("walk_ins", f.walk_ins),
        ("any_window", f.any_window),
    ] {
        if on {
            v.push((flag, "true".into()));
        }
    }
    v
}
