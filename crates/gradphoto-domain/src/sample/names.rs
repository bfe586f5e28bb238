//! Names and document numbers that look like a real roster's: common surnames weighted by
//! frequency, gendered given-name characters, passport holders under their passport names,
//! and resident IDs that pass the GB 11643 check (region, birth date, sequence parity by sex,
//! check character).

use std::collections::HashSet;

use super::rng::Rng;
use crate::id_document::resident_id_check_char;

/// Surnames; the most common ones appear more than once, roughly as often as in China.
const SURNAMES: &[&str] = &[
    "王", "王", "王", "李", "李", "李", "张", "张", "张", "刘", "刘", "陈", "陈", "杨", "杨", "黄",
    "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "林", "罗", "郑", "梁",
    "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋",
    "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟",
    "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "方", "白", "邹", "孟", "熊", "秦",
    "邱", "江", "尹", "薛", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚",
    "邵", "万", "严", "覃", "武", "戴", "孔", "汤", "欧阳", "司马", "上官", "诸葛",
];

const MALE: &[&str] = &[
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "浩", "宇", "鹏", "辉", "俊", "博",
    "文", "斌", "志", "晨", "昊", "天", "子", "轩", "泽", "睿", "航", "嘉", "哲", "凯", "毅", "瑞",
    "峰", "锋", "健", "远", "思", "旭", "铭", "诚", "翔", "宏", "晓", "振", "宁", "坤", "然", "逸",
];

const FEMALE: &[&str] = &[
    "静", "丽", "敏", "婷", "雪", "慧", "娜", "琳", "颖", "佳", "欣", "怡", "晶", "雅", "梦", "萱",
    "思", "语", "涵", "瑶", "悦", "璐", "倩", "蕾", "玥", "冰", "菲", "月", "晓", "子", "文", "露",
    "妍", "琪", "彤", "诗", "雨", "宁", "芳", "洁", "云", "嘉", "薇", "岚", "珊", "婧", "怡", "然",
];

/// A Chinese name: surname plus one (about a quarter of names) or two given characters.
pub(super) fn chinese_name(rng: &mut Rng, male: bool) -> String {
    let chars = if male { MALE } else { FEMALE };
    let mut name = rng.pick(SURNAMES).to_string();
    name.push_str(rng.pick::<&str>(chars));
    if !rng.chance(25) {
        name.push_str(rng.pick::<&str>(chars));
    }
    name
}

/// Passport formats of several countries (letters `A`, digits `9`), with names as printed
/// in the passport, as international-student offices copy them into rosters.
const PASSPORTS: &[(&str, &[&str], &[&str])] = &[
    // Republic of Korea: M + 8 digits.
    (
        "M99999999",
        &["KIM", "LEE", "PARK", "CHOI"],
        &["MINJUN", "SEOYEON", "JIHOON", "HAEUN"],
    ),
    // United States: 9 digits.
    (
        "999999999",
        &["SMITH", "JOHNSON", "BROWN", "GARCIA"],
        &["EMILY", "DANIEL", "SOPHIA", "MICHAEL"],
    ),
    // Japan: 2 letters + 7 digits.
    (
        "TK9999999",
        &["SATO", "SUZUKI", "TAKAHASHI", "TANAKA"],
        &["YUKI", "HARUTO", "AOI", "REN"],
    ),
    // Russia: 9 digits starting with 7.
    (
        "799999999",
        &["IVANOVA", "SMIRNOV", "KUZNETSOVA", "POPOV"],
        &["ANNA", "DMITRY", "OLGA", "ALEXEI"],
    ),
    // Pakistan: 2 letters + 7 digits.
    (
        "AB9999999",
        &["KHAN", "AHMED", "HUSSAIN", "MALIK"],
        &["MUHAMMAD ALI", "AYESHA", "USMAN", "FATIMA"],
    ),
    // Viet Nam: 1 letter + 7 digits.
    (
        "C9999999",
        &["NGUYEN", "TRAN", "LE", "PHAM"],
        &["VAN AN", "THI MAI", "MINH DUC", "THU HA"],
    ),
    // Malaysia: A + 8 digits.
    (
        "A99999999",
        &["TAN", "LIM", "WONG", "LEE"],
        &["WEI MING", "MEI LING", "KAH HENG", "SIEW YEN"],
    ),
    // Indonesia: 1 letter + 7 digits.
    (
        "X9999999",
        &["SANTOSO", "WIJAYA", "HALIM", "GUNAWAN"],
        &["BUDI", "SITI", "HENDRA", "DEWI"],
    ),
    // Germany: 9 characters, letters and digits.
    (
        "C99A99T99",
        &["MUELLER", "SCHMIDT", "WEBER", "FISCHER"],
        &["LUKAS", "LEA", "JONAS", "MARIE"],
    ),
];

/// A passport holder's name and a number in that country's format.
pub(super) fn passport(rng: &mut Rng, nationality: usize) -> (String, String) {
    let (pattern, families, givens) = PASSPORTS[nationality % PASSPORTS.len()];
    let name = format!("{} {}", rng.pick(families), rng.pick(givens));
    let number = pattern
        .chars()
        .map(|c| match c {
            '9' => char::from(b'0' + rng.below(10) as u8),
            'A' => char::from(b'A' + rng.below(26) as u8),
            other => other,
        })
        .collect();
    (name, number)
}

pub(super) fn passport_countries() -> usize {
    PASSPORTS.len()
}

/// `count` random digits.
pub(super) fn digits(rng: &mut Rng, count: usize) -> String {
    (0..count)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

/// An 18-character number with a valid check character: `region` (6 digits), birth date,
/// a 3-digit sequence whose parity says the sex (odd = male), then the check character.
/// Resident IDs and HK/Macau/Taiwan residence permits (region 810000/820000/830000) share it.
pub(super) fn id18(
    rng: &mut Rng,
    region: &str,
    birth: (i32, u32, u32),
    male: bool,
    taken: &mut HashSet<String>,
) -> String {
    loop {
        let mut seq = rng.range(0, 999);
        if (seq % 2 == 1) != male {
            seq = (seq + 1) % 1000;
        }
        let (y, m, d) = birth;
        let first17 = format!("{region}{y:04}{m:02}{d:02}{seq:03}");
        // The 17 characters are digits by construction, so there is always a check char.
        let Some(check) = resident_id_check_char(&first17) else {
            continue;
        };
        let id = format!("{first17}{check}");
        if taken.insert(id.clone()) {
            return id;
        }
    }
}
