//! The page's 90 days and uptime against the reliability pages.

use app::accounts::Role;
use app::catalog::service::create_service;
use app::incidents::service::declare::Declaration;
use app::incidents::service::query::severities;
use app::workflow::declare_incident;

use super::{add_component, public, switch_on};
use crate::support::{TestApp, new_client};

backend_tests!(uptime_on_the_page_is_the_services_availability_on_the_same_incidents);

/// The page's 90-day uptime of a component is the reliability page's availability of
/// its service over the same 90 days, when every incident of the service is published:
/// overlapping impact windows count once, one reaching back past the window counts from
/// its start, an open one up to now. The days with incidents are coloured.
async fn uptime_on_the_page_is_the_services_availability_on_the_same_incidents(app: TestApp) {
    use app::incidents::service::edit::Details;
    use app::metrics::report::{Period, ReportQuery};
    use app::status::Publication;
    use app::workflow::update_details;
    use chrono::{Duration, Utc};

    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let checkout = create_service(&app.db, "checkout", None).await.unwrap();
    let search = create_service(&app.db, "search", None).await.unwrap();
    let component = add_component(&app, &admin, &checkout.slug, "Checkout").await;
    add_component(&app, &admin, &search.slug, "Search").await;
    let commander = app.with_user(Role::Responder).await;
    let severity_id = severities(&app.db).await.unwrap()[0].id;
    let now = Utc::now();
    let (day, hour) = (Duration::days(1), Duration::hours(1));
    let windows = [
        (now - day * 10, Some(now - day * 10 + hour * 3)),
        (now - day * 5, Some(now - day * 5 + hour * 2)),
        (now - day * 5 + hour, Some(now - day * 5 + hour * 4)),
        (now - day * 91, Some(now - day * 89)),
        (now - hour * 2, None),
    ];
    for (n, (start, mitigated)) in windows.into_iter().enumerate() {
        let reference = declare_incident(
            &app.db,
            &commander,
            Declaration {
                title: format!("checkout trouble {n}"),
                severity_id: Some(severity_id),
                service_ids: vec![checkout.id],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let incident = app::incidents::service::query::get_incident(&app.db, reference)
            .await
            .unwrap();
        let mut times = incident.times.clone();
        times.impact_started_at = Some(start);
        times.detected_at = Some(start);
        times.declared_at = start;
        times.acknowledged_at = None;
        times.mitigated_at = mitigated;
        let details = Details {
            title: incident.title.clone(),
            summary: String::new(),
            customer_impact: true,
            service_ids: vec![checkout.id],
            times,
        };
        update_details(&app.db, &commander, reference, details, incident.version)
            .await
            .unwrap();
        let mut post = Publication {
            title: Some(format!("Checkout trouble {n}")),
            state: "investigating".into(),
            components: Some(vec![component]),
            body: "Looking into it.".into(),
            ..Default::default()
        };
        app::status::service::publish(&app.db, &commander, reference, &post)
            .await
            .unwrap();
        if mitigated.is_some() {
            post.state = "resolved".into();
            post.body = "Fixed.".into();
            post.version = Some(1);
            app::status::service::publish(&app.db, &commander, reference, &post)
                .await
                .unwrap();
        }
    }

    let report = app::metrics::service::service_report(
        &app.db,
        &checkout.slug,
        ReportQuery {
            period: Period::Last(90),
            ..Default::default()
        },
        now.timestamp(),
    )
    .await
    .unwrap();
    let availability = report.reliability.availability().unwrap();
    // 3 h, 4 h (two overlapping), 1 day of the one reaching back, 2 h open.
    let down = (3 + 4 + 24 + 2) * 3600;
    let window = 90 * 86_400;
    assert_eq!(report.reliability.downtime, down);
    assert_eq!(availability, (window - down) as f64 / window as f64);

    let view = app::status::service::public_view(&app.db, now)
        .await
        .unwrap()
        .unwrap();
    let shown = |name: &str| {
        view.status
            .components
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .clone()
    };
    let checkout_shown = shown("Checkout");
    assert_eq!(checkout_shown.uptime, availability, "the two must agree");
    assert_eq!(shown("Search").uptime, 1.0);
    let troubled = checkout_shown
        .days
        .iter()
        .filter(|d| d.worst.is_some())
        .count();
    // Ten and five days ago (each within one or two UTC days), the day that reached
    // into the window, and today.
    assert!((3..=7).contains(&troubled), "{troubled} days coloured");
    assert!(
        checkout_shown.days.iter().map(|d| d.down).sum::<i64>() <= down,
        "the bars start at midnight, inside the window"
    );

    let (status, headers, page) = public(&app, "/status").await;
    assert_eq!(status, 200);
    // Compressed once per rendering, in what the client accepts; a cache holding the
    // same rendering revalidates without the body.
    let etag = headers["etag"].to_str().unwrap().to_owned();
    for (accept, encoding) in [("br;q=1, gzip", "br"), ("gzip", "gzip")] {
        let response = new_client()
            .get(app.url("/status"))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding);
        assert_eq!(response.headers()["vary"], "accept-encoding");
        let compressed = response.bytes().await.unwrap();
        assert!(
            compressed.len() * 4 < page.len(),
            "{} of {}",
            compressed.len(),
            page.len()
        );
    }
    // Rendered again in between (every few seconds, and the open incident grows): then
    // the tag is new, and asking with it is 304.
    let mut etag = etag;
    let mut again = None;
    for _ in 0..3 {
        let response = new_client()
            .get(app.url("/status"))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        if response.status() == 304 {
            again = Some(response);
            break;
        }
        assert_eq!(response.status(), 200);
        let fresh = response.headers()["etag"].to_str().unwrap().to_owned();
        assert_ne!(fresh, etag, "a 200 to a matching tag");
        etag = fresh;
    }
    let again = again.expect("304 for the tag of the current rendering");
    assert!(
        again.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("s-maxage")
    );
    // The page was rendered a moment later: the open incident has grown by as much.
    let shown_uptime = (0..30).any(|late| {
        let uptime = (window - down - late) as f64 / window as f64;
        page.contains(&format!(
            "Checkout: {} uptime over the last 90 days",
            app::metrics::pages::percent(uptime)
        ))
    });
    assert!(shown_uptime, "{page}");
    assert!(page.contains("class=\"bar bar--major\""), "{page}");
    assert!(
        page.contains("Search: 100% uptime over the last 90 days"),
        "{page}"
    );
}
