//! Times in the viewer's time zone.
//!
//! Vigil stores UTC and shows wall-clock time in the viewer's zone: their account
//! setting, else the zone their browser reported (the `vigil_tz` cookie, written after
//! hydration), else UTC. The server resolves the zone once per request and writes it to
//! `<html data-tz>`, so the hydrating client converts with the same zone and both render
//! the same text: the server with the tz database (chrono-tz), the browser with `Intl`,
//! which keeps the database out of the wasm bundle.

use chrono::{DateTime, NaiveDateTime, Utc};
use leptos::prelude::*;

/// The cookie holding the zone the browser reported.
pub const COOKIE: &str = "vigil_tz";

/// An IANA zone name such as `Europe/Berlin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewerZone(String);

impl Default for ViewerZone {
    fn default() -> Self {
        Self("UTC".to_owned())
    }
}

impl ViewerZone {
    pub fn name(&self) -> &str {
        &self.0
    }

    /// Wall-clock time of `at` in this zone.
    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        wall_clock(at, &self.0).unwrap_or_else(|| at.naive_utc())
    }

    /// `2026-11-22 14:30`, in this zone.
    pub fn format(&self, at: DateTime<Utc>) -> String {
        self.local(at).format("%Y-%m-%d %H:%M").to_string()
    }

    /// The value of a `datetime-local` input.
    pub fn input_value(&self, at: DateTime<Utc>) -> String {
        self.local(at).format("%Y-%m-%dT%H:%M").to_string()
    }

    /// The zone for the page being rendered: resolved from the request on the server,
    /// read back from `<html data-tz>` in the browser.
    pub fn current() -> Self {
        use_context::<Self>().unwrap_or_default()
    }

    /// The zone of this request (server) or of the page being hydrated (browser).
    pub fn from_request() -> Self {
        #[cfg(feature = "ssr")]
        return server::from_request();
        #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
        return document()
            .document_element()
            .and_then(|el| el.get_attribute("data-tz"))
            .map(Self)
            .unwrap_or_default();
        #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
        Self::default()
    }

    /// Puts the zone into the page's context (see `current`).
    pub fn provide() {
        provide_context(Self::from_request());
    }
}

/// "Times are in Europe/Berlin": said once on pages that show or take times.
#[component]
pub fn ZoneNote() -> impl IntoView {
    let zone = ViewerZone::current();
    view! {
        <span class="muted zone-note">
            "Times are in " {zone.name().to_owned()} ". "
            <a href="/account#time-zone">"Change"</a>
        </span>
    }
}

/// A timestamp in the viewer's zone; UTC in `datetime` and in the tooltip.
#[component]
pub fn Time(at: DateTime<Utc>) -> impl IntoView {
    let zone = ViewerZone::current();
    let utc = at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    view! { <time datetime=at.to_rfc3339() title=utc>{zone.format(at)}</time> }
}

/// A time, or a muted "never" (no alert received yet, a token never used).
#[component]
pub fn TimeOrNever(at: Option<DateTime<Utc>>) -> impl IntoView {
    match at {
        Some(at) => view! { <Time at /> }.into_any(),
        None => view! { <span class="muted">"never"</span> }.into_any(),
    }
}

#[cfg(feature = "ssr")]
fn wall_clock(at: DateTime<Utc>, zone: &str) -> Option<NaiveDateTime> {
    let tz: chrono_tz::Tz = zone.parse().ok()?;
    Some(at.with_timezone(&tz).naive_local())
}

/// The browser's `Intl` does the conversion: same IANA rules, no database in the bundle.
#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn wall_clock(at: DateTime<Utc>, zone: &str) -> Option<NaiveDateTime> {
    use js_sys::{Array, Date, Intl, Object, Reflect};
    use std::cell::RefCell;
    use wasm_bindgen::{JsCast, JsValue};

    thread_local! {
        static FORMAT: RefCell<Option<(String, Intl::DateTimeFormat)>> = const { RefCell::new(None) };
    }
    let format = FORMAT.with(|cell| {
        let mut cell = cell.borrow_mut();
        if let Some((name, format)) = cell.as_ref()
            && name == zone
        {
            return Some(format.clone());
        }
        let options = Object::new();
        for (key, value) in [
            ("timeZone", zone),
            ("hourCycle", "h23"),
            ("year", "numeric"),
            ("month", "2-digit"),
            ("day", "2-digit"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
            ("second", "2-digit"),
        ] {
            Reflect::set(&options, &key.into(), &value.into()).ok()?;
        }
        // Constructed through Reflect so that a zone this browser does not know is an
        // error to fall back from, not an exception.
        let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
        let constructor = Reflect::get(&intl, &"DateTimeFormat".into())
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()?;
        let args = Array::of2(&JsValue::from_str("en-US"), &options);
        let format: Intl::DateTimeFormat = Reflect::construct(&constructor, &args)
            .ok()?
            .unchecked_into();
        *cell = Some((zone.to_owned(), format.clone()));
        Some(format)
    })?;
    let date = Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    let mut fields = [0u32; 6];
    for part in format.format_to_parts(&date).iter() {
        let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
        let index = match kind.as_str() {
            "year" => 0,
            "month" => 1,
            "day" => 2,
            "hour" => 3,
            "minute" => 4,
            "second" => 5,
            _ => continue,
        };
        fields[index] = Reflect::get(&part, &"value".into())
            .ok()?
            .as_string()?
            .parse()
            .ok()?;
    }
    chrono::NaiveDate::from_ymd_opt(fields[0] as i32, fields[1], fields[2])?
        .and_hms_opt(fields[3], fields[4], fields[5])
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn wall_clock(at: DateTime<Utc>, _zone: &str) -> Option<NaiveDateTime> {
    Some(at.naive_utc())
}

/// Tells the server which zone this browser is in, once hydrated (no inline script:
/// the page's CSP allows none). Used when the account has no zone of its own.
pub fn remember_browser_zone() {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use js_sys::{Intl, Object, Reflect};
        use wasm_bindgen::JsCast;
        let format = Intl::DateTimeFormat::new(&js_sys::Array::new(), &Object::new());
        let Some(zone) = Reflect::get(&format.resolved_options(), &"timeZone".into())
            .ok()
            .and_then(|z| z.as_string())
        else {
            return;
        };
        let doc = document().unchecked_into::<web_sys::HtmlDocument>();
        let value = js_sys::encode_uri_component(&zone)
            .as_string()
            .unwrap_or_default();
        let pair = format!("{COOKIE}={value}");
        if doc
            .cookie()
            .unwrap_or_default()
            .split("; ")
            .any(|c| c == pair)
        {
            return;
        }
        let _ = doc.set_cookie(&format!("{pair}; Path=/; Max-Age=31536000; SameSite=Lax"));
    });
}

#[cfg(feature = "ssr")]
pub use server::{AccountZone, all_zones, from_local, parse_zone};

#[cfg(feature = "ssr")]
mod server {
    use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
    use leptos::prelude::*;

    use super::{COOKIE, ViewerZone};

    /// The zone the signed-in account chose, which the server's middleware puts into the
    /// request beside the user (this module stays below the accounts domain).
    #[derive(Debug, Clone)]
    pub struct AccountZone(pub String);

    /// A known IANA zone name, normalised; `None` for anything else.
    pub fn parse_zone(name: &str) -> Option<ViewerZone> {
        let tz: chrono_tz::Tz = name.trim().parse().ok()?;
        Some(ViewerZone(tz.name().to_owned()))
    }

    /// Every zone a person can choose, sorted.
    pub fn all_zones() -> Vec<String> {
        let mut zones: Vec<String> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name().to_owned())
            .collect();
        zones.sort();
        zones
    }

    /// The account's zone, else the browser's (cookie), else UTC.
    pub fn from_request() -> ViewerZone {
        let Some(parts) = use_context::<http::request::Parts>() else {
            return ViewerZone::default();
        };
        let preferred = parts
            .extensions
            .get::<AccountZone>()
            .and_then(|zone| parse_zone(&zone.0));
        preferred
            .or_else(|| {
                parts
                    .headers
                    .get(http::header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(zone_from_cookie_header)
            })
            .unwrap_or_default()
    }

    pub(super) fn zone_from_cookie_header(header: &str) -> Option<ViewerZone> {
        let value = header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)?
            .1;
        parse_zone(&value.replace("%2F", "/").replace("%2f", "/"))
    }

    /// The UTC instant of a wall-clock time in `zone`. In the hour repeated when clocks
    /// go back the earlier instant is taken; a time skipped when they go forward does
    /// not exist, and says so.
    pub fn from_local(local: NaiveDateTime, zone: &ViewerZone) -> Result<DateTime<Utc>, String> {
        let Ok(tz) = zone.name().parse::<chrono_tz::Tz>() else {
            return Ok(local.and_utc());
        };
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| {
                format!(
                    "{} does not exist in {} (the clocks skip it).",
                    local.format("%Y-%m-%d %H:%M"),
                    zone.name()
                )
            })
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::server::zone_from_cookie_header;
    use super::*;

    fn naive(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn wall_clock_follows_daylight_saving_time() {
        let berlin = parse_zone("Europe/Berlin").unwrap();
        let winter = Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2026, 7, 10, 12, 0, 0).unwrap();
        assert_eq!(berlin.format(winter), "2026-01-10 13:00");
        assert_eq!(berlin.format(summer), "2026-07-10 14:00");
        assert_eq!(berlin.input_value(summer), "2026-07-10T14:00");
        assert_eq!(ViewerZone::default().format(summer), "2026-07-10 12:00");
        let kolkata = parse_zone("Asia/Kolkata").unwrap();
        assert_eq!(kolkata.format(winter), "2026-01-10 17:30");
    }

    #[test]
    fn form_times_are_read_in_the_viewers_zone() {
        let berlin = parse_zone("Europe/Berlin").unwrap();
        assert_eq!(
            from_local(naive(2026, 7, 10, 14, 0), &berlin),
            Ok(Utc.with_ymd_and_hms(2026, 7, 10, 12, 0, 0).unwrap())
        );
        // 2026-03-29 02:30 is skipped in Berlin; 2026-10-25 02:30 happens twice.
        let gap = from_local(naive(2026, 3, 29, 2, 30), &berlin).unwrap_err();
        assert!(gap.contains("does not exist"), "{gap}");
        assert_eq!(
            from_local(naive(2026, 10, 25, 2, 30), &berlin),
            Ok(Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap())
        );
        assert_eq!(
            from_local(naive(2026, 7, 10, 14, 0), &ViewerZone::default()),
            Ok(Utc.with_ymd_and_hms(2026, 7, 10, 14, 0, 0).unwrap())
        );
    }

    #[test]
    fn only_known_zones_are_accepted() {
        assert_eq!(
            parse_zone(" Europe/Berlin ").unwrap().name(),
            "Europe/Berlin"
        );
        for bad in ["", "Mars/Olympus", "<script>", "Europe/Berlin; x"] {
            assert!(parse_zone(bad).is_none(), "{bad}");
        }
        assert!(all_zones().iter().any(|z| z == "America/New_York"));
    }

    #[test]
    fn the_cookie_names_the_browsers_zone() {
        assert_eq!(
            zone_from_cookie_header("a=b; vigil_tz=America%2FNew_York")
                .unwrap()
                .name(),
            "America/New_York"
        );
        assert!(zone_from_cookie_header("vigil_tz=Nowhere").is_none());
        assert!(zone_from_cookie_header("").is_none());
    }
}

/// Parses an optional `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` form value, a wall-clock time
/// in the viewer's zone.
#[cfg(feature = "ssr")]
pub fn parse_input(
    field: &str,
    value: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, crate::error::AppError> {
    use crate::error::AppError;
    use chrono::{NaiveDate, NaiveDateTime};
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let zone = crate::time::ViewerZone::from_request();
    let local = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| {
            NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| {
            AppError::invalid(
                field,
                format!(
                    "Use a date like 2026-11-22 or a time like 2026-11-22T14:30 ({}).",
                    zone.name()
                ),
            )
        })?;
    crate::time::from_local(local, &zone)
        .map(Some)
        .map_err(|message| AppError::invalid(field, message))
}
