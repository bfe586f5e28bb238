//! The interface language: chosen with the switch on every page (remembered in a cookie),
//! otherwise taken from the browser's Accept-Language, otherwise Chinese.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use gradphoto_domain::i18n::Lang;

use crate::session::cookie;

pub const LANG_COOKIE: &str = "gp_lang";

/// The language of this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UiLang(pub Lang);

pub fn lang_of(parts: &Parts) -> Lang {
    if let Some(l) = cookie(&parts.headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)) {
        return l;
    }
    parts
        .headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
        })
        .unwrap_or(Lang::Zh)
}

impl<S: Send + Sync> FromRequestParts<S> for UiLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<UiLang, Self::Rejection> {
        Ok(UiLang(lang_of(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut b = axum::http::Request::builder();
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).expect("request").into_parts().0
    }

    #[test]
    fn cookie_beats_accept_language_beats_default() {
        assert_eq!(lang_of(&parts(&[])), Lang::Zh);
        assert_eq!(
            lang_of(&parts(&[("accept-language", "en-US,en;q=0.9")])),
            Lang::En
        );
        assert_eq!(
            lang_of(&parts(&[("accept-language", "fr-FR,zh-CN;q=0.8")])),
            Lang::Zh
        );
        assert_eq!(
            lang_of(&parts(&[
                ("accept-language", "en"),
                ("cookie", "gp_lang=zh")
            ])),
            Lang::Zh
        );
    }
}
