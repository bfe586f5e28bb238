//! The browser scenario, end to end against the real `gradphoto serve`: an agency
//! admin sets up a university and its accounts; the university admin imports a roster with
//! one bad row (sees the error, nothing imported), imports the fixed file, opens a campaign
//! and sees the dashboard with the right counts; department secretaries see only their own
//! department; both languages work.
//!
//! The only seeding outside the browser is the first agency admin, created with
//! `gradphoto staff add` as an operator would.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use gradphoto_domain::eligibility::{Verdict, evaluate};
use gradphoto_domain::people::Level;
use gradphoto_domain::roster::{NewStudent, validate_grid};
use gradphoto_domain::sample::{
    SampleUniversity, fixed, sample_roster_with_one_bad_row, sample_universities,
};
use gradphoto_e2e::Browser;
use gradphoto_sheets::{Sheet, write_xlsx};
use serde_json::json;

use super::{PAGE_TIMEOUT, Server, gradphoto, id_in_url, js, login_with, logout, set_date};

/// The eligibility refresh runs in the server's worker after the campaign opens.
const TOTALS_TIMEOUT: Duration = Duration::from_secs(20);
const PASSWORD: &str = "correct-horse-battery";

/// The counts the dashboard must show, worked out here from the domain rules alone.
#[derive(Debug, PartialEq, Eq)]
struct Totals {
    students: usize,
    eligible: usize,
    collected: usize,
    missing: usize,
    exempt: usize,
    not_yet: usize,
}

fn expected_totals(uni: &SampleUniversity, students: &[NewStudent]) -> Totals {
    let mut t = Totals {
        students: students.len(),
        eligible: 0,
        collected: 0,
        missing: 0,
        exempt: 0,
        not_yet: 0,
    };
    for s in students {
        match evaluate(&uni.campaign.rules, &s.facts()).verdict {
            Verdict::Must => t.eligible += 1,
            Verdict::NeedNot | Verdict::MustNot => t.exempt += 1,
            Verdict::NotYet => t.not_yet += 1,
        }
    }
    t.missing = t.eligible;
    t
}

fn write_roster(path: &Path, grid: &[Vec<String>]) -> anyhow::Result<()> {
    let bytes = write_xlsx(&[Sheet {
        name: "学生名单".into(),
        headers: grid[0].clone(),
        rows: grid[1..].to_vec(),
    }])?;
    std::fs::write(path, bytes)?;
    Ok(())
}

/// The texts of every element matching `css`.
async fn texts(b: &Browser, css: &str) -> anyhow::Result<Vec<String>> {
    let v = js(
        b,
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText.trim());",
        vec![json!(css)],
    )
    .await?;
    Ok(serde_json::from_value(v)?)
}

/// The student numbers in `table` (`#students`, `#missing`; the header row has no `td`).
async fn student_numbers(b: &Browser, table: &str) -> anyhow::Result<Vec<String>> {
    texts(b, &format!("{table} tr td:first-child")).await
}

async fn login(b: &Browser, server: &Server, username: &str) -> anyhow::Result<()> {
    login_with(b, server, username, PASSWORD).await
}

/// Creates an account on /staff with the form, as the signed-in admin.
async fn create_account(
    b: &Browser,
    server: &Server,
    username: &str,
    role: &str,
    scope: &str,
) -> anyhow::Result<()> {
    b.goto(&server.url("/staff")).await?;
    b.fill("#username", username).await?;
    b.fill("#display_name", username).await?;
    b.fill("#password", PASSWORD).await?;
    b.select("#role", role).await?;
    b.select("#department", scope).await?;
    b.click("form[action='/staff'] button").await?;
    b.wait_for_text(&format!("已创建账号 {username}"), PAGE_TIMEOUT)
        .await
}

/// Ticks or unticks the checkbox matching `css`.
async fn set_checkbox(b: &Browser, css: &str, checked: bool) -> anyhow::Result<()> {
    let now = js(
        b,
        "return document.querySelector(arguments[0]).checked;",
        vec![json!(css)],
    )
    .await?;
    if now.as_bool() != Some(checked) {
        b.click(css).await?;
    }
    Ok(())
}

async fn read_totals(b: &Browser) -> anyhow::Result<Totals> {
    let n = async |id: &str| -> anyhow::Result<usize> {
        let t = b.text(id).await?;
        t.trim()
            .parse()
            .with_context(|| format!("{id} shows {t:?}"))
    };
    Ok(Totals {
        students: n("#total-students").await?,
        eligible: n("#total-eligible").await?,
        collected: n("#total-collected").await?,
        missing: n("#total-missing").await?,
        exempt: n("#total-exempt").await?,
        not_yet: n("#total-not-yet").await?,
    })
}

fn screenshot_path(name: &str) -> PathBuf {
    gradphoto_e2e::failures_dir()
        .parent()
        .map(|target| target.join("e2e-screenshots"))
        .unwrap_or_else(|| PathBuf::from("e2e-screenshots"))
        .join(name)
}

#[tokio::test]
async fn university_admin_imports_opens_a_campaign_and_secretaries_see_only_their_department()
-> anyhow::Result<()> {
    let started = Instant::now();
    let Some(b) = Browser::start((1280, 900)).await? else {
        return Ok(());
    };

    // What the files hold and what the dashboard must show, from the domain alone.
    let uni = sample_universities().swap_remove(0);
    let (bad_grid, bad_row) = sample_roster_with_one_bad_row();
    let good_grid = fixed(&bad_grid);
    let departments = uni.department_refs();
    assert!(validate_grid(&bad_grid, &departments).is_err());
    let students = validate_grid(&good_grid, &departments).expect("the fixed roster is valid");
    let expected = expected_totals(&uni, &students);
    assert!(
        expected.eligible > 0,
        "the small roster has students to photograph"
    );
    let own_dept = students[0].department.clone();
    let own_students: Vec<&NewStudent> = students
        .iter()
        .filter(|s| s.department == own_dept)
        .collect();
    let other_dept = uni
        .departments
        .iter()
        .map(|(name, _)| name.clone())
        .find(|name| students.iter().all(|s| &s.department != name))
        .expect("a department with no student in the small roster");

    let data = tempfile::tempdir()?;
    let bad_file = data.path().join("roster-with-error.xlsx");
    let good_file = data.path().join("roster-fixed.xlsx");
    write_roster(&bad_file, &bad_grid)?;
    write_roster(&good_file, &good_grid)?;

    // The first account comes from the command line, as on a fresh installation.
    let pii_key = gradphoto_app::pii::generate_key()?;
    let out = gradphoto(data.path(), &pii_key)
        .args(["staff", "add", "agency", "--role", "agency_admin"])
        .env("GRADPHOTO_NEW_PASSWORD", PASSWORD)
        .output()?;
    ensure!(
        out.status.success(),
        "gradphoto staff add failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::start(data.path(), &pii_key)?;

    // 1. The agency admin adds the university and its accounts (in Chinese, as staff would).
    b.goto(&server.url("/lang/zh?next=/login")).await?;
    login(&b, &server, "agency").await?;
    b.goto(&server.url("/universities")).await?;
    b.fill("#code", &uni.code).await?;
    b.fill("#name_zh", &uni.name_zh).await?;
    b.fill("#name_en", &uni.name_en).await?;
    let dept_lines: Vec<String> = uni
        .departments
        .iter()
        .map(|(name, code)| match code {
            Some(c) => format!("{name},{c}"),
            None => name.clone(),
        })
        .collect();
    b.fill("#departments", &dept_lines.join("\n")).await?;
    b.fill("#campuses", &uni.campuses.join("\n")).await?;
    b.click("form[action='/universities'] button").await?;
    b.wait_for_text(&uni.name_zh, PAGE_TIMEOUT).await?;
    let uid = id_in_url(&b).await?;
    for (name, _) in &uni.departments {
        b.wait_for_text(name, PAGE_TIMEOUT).await?;
    }

    b.goto(&server.url("/staff")).await?;
    let options: Vec<(String, String)> = serde_json::from_value(
        js(
            &b,
            "return Array.from(document.querySelectorAll('#department option')).map(o => [o.value, o.innerText.trim()]);",
            vec![],
        )
        .await?,
    )?;
    let dept_id = |name: &str| -> anyhow::Result<i64> {
        let (value, _) = options
            .iter()
            .find(|(v, label)| v.starts_with("d:") && label.ends_with(&format!("/ {name}")))
            .with_context(|| format!("no scope option for {name} in {options:?}"))?;
        Ok(value.rsplit(':').next().unwrap_or_default().parse()?)
    };
    let own_did = dept_id(&own_dept)?;
    let other_did = dept_id(&other_dept)?;
    create_account(
        &b,
        &server,
        "uniadmin",
        "university_admin",
        &format!("u:{uid}"),
    )
    .await?;
    create_account(
        &b,
        &server,
        "sec-own",
        "department_secretary",
        &format!("d:{uid}:{own_did}"),
    )
    .await?;
    create_account(
        &b,
        &server,
        "sec-other",
        "department_secretary",
        &format!("d:{uid}:{other_did}"),
    )
    .await?;
    logout(&b).await?;

    // 2–3. The university admin imports the file with the typo: one row error, nothing in.
    login(&b, &server, "uniadmin").await?;
    let university = server.url(&format!("/universities/{uid}"));
    b.goto(&university).await?;
    b.upload("#roster-file", &bad_file).await?;
    b.click("#roster-submit").await?;
    let error = b.text("#import-error").await?;
    ensure!(!error.trim().is_empty(), "empty import error");
    let error_rows = texts(&b, "#row-errors td.num").await?;
    ensure!(
        error_rows == [bad_row.to_string()],
        "row errors name rows {error_rows:?}, expected only row {bad_row}"
    );
    b.screenshot(&screenshot_path("import-rejected.png"))
        .await?;
    b.goto(&university).await?;
    let listed = student_numbers(&b, "#students").await?;
    ensure!(listed.is_empty(), "rejected file imported {listed:?}");
    b.wait_for_text("学生名单 0 人", PAGE_TIMEOUT).await?;

    // 4. The fixed file goes in whole.
    b.upload("#roster-file", &good_file).await?;
    b.click("#roster-submit").await?;
    let ok = b.text("#import-ok").await?;
    ensure!(
        ok.contains(&format!("新增 {}", students.len())),
        "import result {ok:?}, expected {} new rows",
        students.len()
    );
    b.goto(&university).await?;
    let mut listed = student_numbers(&b, "#students").await?;
    listed.sort();
    let mut all_numbers: Vec<String> = students
        .iter()
        .map(|s| s.student_no.as_str().to_owned())
        .collect();
    all_numbers.sort();
    ensure!(
        listed == all_numbers,
        "roster lists {listed:?}, expected {all_numbers:?}"
    );

    // 5. A campaign with university A's rules, opened.
    let campaign = &uni.campaign;
    let rules = &campaign.rules;
    b.click("#new-campaign").await?;
    b.fill("#name", &campaign.name).await?;
    b.fill("#cohort", &campaign.cohort).await?;
    let terms: Vec<String> = rules.target_terms.iter().map(|t| t.to_string()).collect();
    b.fill("#target_terms", &terms.join(", ")).await?;
    for level in Level::ALL {
        let css = format!("input[name=levels][value={}]", level.as_str());
        set_checkbox(&b, &css, rules.levels.contains(&level)).await?;
    }
    set_date(
        &b,
        "#prior_void_on_or_before",
        rules.prior_void_on_or_before,
    )
    .await?;
    for (name, on) in [
        (
            "exclude_single_certificate",
            rules.exclude_single_certificate,
        ),
        ("exclude_overseas_class", rules.exclude_overseas_class),
        ("international_only", rules.international_only),
    ] {
        set_checkbox(&b, &format!("input[name={name}]"), on).await?;
    }
    if let Some(w) = campaign.modes.onsite {
        set_date(&b, "#onsite_from", Some(w.from)).await?;
        set_date(&b, "#onsite_to", Some(w.to)).await?;
    }
    set_date(&b, "#makeup_deadline", campaign.modes.makeup_deadline).await?;
    b.fill("#fee_yuan", &(campaign.fee_fen / 100).to_string())
        .await?;
    b.fill("#contacts", &campaign.contacts).await?;
    b.click("#campaign-submit").await?;
    let cid = id_in_url(&b).await?;
    let dashboard = server.url(&format!("/campaigns/{cid}"));
    ensure!(
        b.current_url().await?.starts_with(&dashboard),
        "the new campaign did not open its page: {}",
        b.page_text().await?
    );
    b.click("#open-campaign").await?;
    b.text("#close-campaign").await?;

    // 6. The worker judges every student; the totals must match the rules' own answer.
    let deadline = Instant::now() + TOTALS_TIMEOUT;
    loop {
        b.goto(&dashboard).await?;
        let shown = read_totals(&b).await?;
        if shown == expected {
            break;
        }
        if Instant::now() > deadline {
            b.fail_screenshot("dashboard-totals").await;
            bail!("after {TOTALS_TIMEOUT:?} the dashboard shows {shown:?}, expected {expected:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let missing = student_numbers(&b, "#missing").await?;
    ensure!(
        missing.len() == expected.missing,
        "missing list {missing:?}"
    );
    b.screenshot(&screenshot_path("dashboard.png")).await?;
    logout(&b).await?;

    // 7. A secretary of a department with no student in the file sees none of them, even
    // when asking for the other department by id.
    login(&b, &server, "sec-other").await?;
    for url in [
        university.clone(),
        format!("{university}?department={own_did}"),
    ] {
        b.goto(&url).await?;
        // The university page itself, not an error page with no table at all.
        b.wait_for_text(&uni.name_zh, PAGE_TIMEOUT).await?;
        b.text("#students").await?;
        let listed = student_numbers(&b, "#students").await?;
        ensure!(listed.is_empty(), "{url} shows {listed:?} to sec-other");
        let page = b.page_text().await?;
        for s in &students {
            ensure!(
                !page.contains(s.student_no.as_str()) && !page.contains(&s.name),
                "{url} shows {} to sec-other",
                s.student_no.as_str()
            );
        }
        ensure!(
            !page.contains(&own_dept),
            "{url} names {own_dept} to sec-other"
        );
    }
    b.goto(&format!("{dashboard}?department={own_did}")).await?;
    ensure!(
        b.text("#total-students").await?.trim() == "0",
        "the dashboard counts other departments' students for sec-other"
    );
    logout(&b).await?;

    // The secretary of the department with students sees exactly those.
    login(&b, &server, "sec-own").await?;
    b.goto(&format!("{university}?department={other_did}"))
        .await?;
    let mut listed = student_numbers(&b, "#students").await?;
    listed.sort();
    let mut own_numbers: Vec<String> = own_students
        .iter()
        .map(|s| s.student_no.as_str().to_owned())
        .collect();
    own_numbers.sort();
    ensure!(
        listed == own_numbers,
        "sec-own sees {listed:?}, expected {own_numbers:?}"
    );
    let depts = texts(&b, "#students tr td:nth-child(3)").await?;
    ensure!(
        depts.iter().all(|d| *d == own_dept),
        "sec-own sees departments {depts:?}"
    );

    // 8. Both languages: switch to English on the dashboard, then back.
    b.goto(&dashboard).await?;
    b.wait_for_text("采集进度", PAGE_TIMEOUT).await?;
    b.click("#lang-switch").await?;
    b.wait_for_text("Progress", PAGE_TIMEOUT).await?;
    b.wait_for_text("Students still to be photographed", PAGE_TIMEOUT)
        .await?;
    ensure!(
        b.current_url().await?.starts_with(&dashboard),
        "the language switch left the page"
    );
    b.click("#lang-switch").await?;
    b.wait_for_text("采集进度", PAGE_TIMEOUT).await?;

    b.close().await?;
    drop(server);
    eprintln!("browser scenario took {:?}", started.elapsed());
    Ok(())
}
