use app::accounts::Role;

use crate::support::TestApp;

backend_tests!(
    the_home_page_renders_the_shell_and_hydration_scripts,
    an_unknown_path_renders_the_not_found_page_with_404,
    the_theme_cookie_is_rendered_on_the_first_paint,
);

async fn the_home_page_renders_the_shell_and_hydration_scripts(app: TestApp) {
    let (client, user) = app.signed_in(Role::Viewer).await;
    let res = app.get_with(&client, "/").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("<title>Vigil</title>"), "{html}");
    assert!(html.contains(r#"<html lang="en""#));
    assert!(html.contains("Skip to content"));
    assert!(html.contains(">Overview</h1>"));
    assert!(
        html.contains("/pkg/vigil.js"),
        "hydration script is referenced"
    );
    assert!(html.contains("/pkg/vigil.css"), "stylesheet is referenced");
    assert!(
        !html.contains("data-theme="),
        "no explicit theme without a cookie"
    );
    assert!(
        html.contains(&user.name),
        "the header names the signed-in user"
    );
}

async fn an_unknown_path_renders_the_not_found_page_with_404(app: TestApp) {
    let (client, _) = app.signed_in(Role::Viewer).await;
    let res = app.get_with(&client, "/no/such/page").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(
        html.contains("<title>Page not found · Vigil</title>"),
        "{html}"
    );
}

async fn the_theme_cookie_is_rendered_on_the_first_paint(app: TestApp) {
    let res = app
        .client
        .get(app.url("/login"))
        .header("cookie", "vigil_theme=dark")
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"data-theme="dark""#), "{html}");
}
