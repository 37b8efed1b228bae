//! The wallet's routes: the page and its assets, and the JSON-RPC proxy against a real HTTP
//! upstream (and none).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use http_body_util::BodyExt;
use tower::ServiceExt;
use zkr_wallet::{MAX_RPC_REQUEST_BYTES, WalletConfig, router};

async fn get(app: &Router, uri: &str) -> (StatusCode, String, String) {
    let r = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let status = r.status();
    let body =
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, kind, body)
}

async fn post_rpc(app: &Router, body: Vec<u8>) -> (StatusCode, String) {
    post_as(app, "application/json", body).await
}

async fn post_as(app: &Router, content_type: &str, body: Vec<u8>) -> (StatusCode, String) {
    let r = app
        .clone()
        .oneshot(
            Request::post("/wallet/rpc")
                .header("content-type", content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = r.status();
    let body =
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, body)
}

fn app(l2_rpc: String) -> Router {
    router(WalletConfig { l2_rpc })
}

#[tokio::test]
async fn serves_the_page_and_every_asset_it_loads() {
    let app = app("http://127.0.0.1:9".into());
    let r = app
        .clone()
        .oneshot(Request::get("/wallet").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let (status, kind, page) = get(&app, "/wallet").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"), "{kind}");
    let mut loaded = 0;
    for piece in page.split("\"/wallet/assets/").skip(1) {
        let name = piece.split('"').next().unwrap();
        let (status, kind, body) = get(&app, &format!("/wallet/assets/{name}")).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(kind.starts_with("text/"), "{name}: {kind}");
        assert!(!body.trim().is_empty(), "{name} is empty");
        loaded += 1;
    }
    // wallet.css, zkr-crypto.js, l2.js, wallet.js
    assert_eq!(loaded, 4);
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the page loads nothing from elsewhere"
    );
    let (status, _, body) = get(&app, "/wallet/assets/nope.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("not found"), "{body}");
}

#[tokio::test]
async fn forwards_json_rpc_to_the_node_unchanged() {
    // An upstream that answers with what it received, so the test sees the exact bytes.
    let upstream = Router::new().route(
        "/",
        post(|body: String| async move {
            if body == "teapot" {
                return (StatusCode::IM_A_TEAPOT, "short and stout".to_string());
            }
            (
                StatusCode::OK,
                format!("{{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{body}}}"),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, upstream).await.unwrap() });
    let app = app(format!("http://{addr}"));
    let request = r#"{"jsonrpc":"2.0","id":1,"method":"zkr_blockNumber","params":[]}"#;
    let (status, body) = post_rpc(&app, request.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        format!("{{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{request}}}")
    );
    // the node's status and body come back as they are
    let (status, body) = post_rpc(&app, b"teapot".to_vec()).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::IM_A_TEAPOT, "short and stout")
    );
    // a form or text/plain POST, which any web page can make without asking, is refused
    for kind in ["text/plain", "application/x-www-form-urlencoded"] {
        let (status, body) = post_as(&app, kind, request.as_bytes().to_vec()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{kind}");
        assert!(body.contains("application/json"), "{body}");
    }
    // above the node's own limit: refused before it is forwarded
    let (status, _) = post_rpc(&app, vec![b' '; MAX_RPC_REQUEST_BYTES + 1]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn an_unreachable_node_is_a_502_that_says_so() {
    // a port nothing listens on: bound, then closed
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let app = app(format!("http://{addr}"));
    let (status, body) = post_rpc(&app, b"{}".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let said = v["error"].as_str().unwrap();
    assert!(said.contains("unreachable"), "{body}");
    assert!(
        !said.contains(&addr.to_string()),
        "the node's address is not told: {said}"
    );
}
